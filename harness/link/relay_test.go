package link_test

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
)

// recorder is a link.Endpoint that keeps the ids (first 8 bytes) of what
// it is given, in order, and when.
type recorder struct {
	mu   sync.Mutex
	ids  []uint64
	at   []time.Time
	fail bool
}

func (r *recorder) WritePacket(p link.Packet) error {
	b := p.(*link.Buf)
	r.mu.Lock()
	r.ids = append(r.ids, binary.BigEndian.Uint64(b.B))
	r.at = append(r.at, time.Now())
	fail := r.fail
	r.mu.Unlock()
	p.Release()
	if fail {
		return errors.New("refused")
	}
	return nil
}

func (r *recorder) got() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.ids...)
}

func newTestRelay(t *testing.T, spec link.Spec) (*link.Relay, *recorder, *recorder) {
	t.Helper()
	client, server := &recorder{}, &recorder{}
	r, err := link.NewRelay(context.Background(), spec, client, server)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r, client, server
}

func TestRelayDelaysInOrder(t *testing.T) {
	const n = 2000
	delay := 5 * time.Millisecond
	r, _, server := newTestRelay(t, link.Spec{Up: link.Config{Delay: delay, Jitter: 2 * time.Millisecond}, Seed: 1})
	sent := make([]time.Time, n)
	for i := range n {
		sent[i] = time.Now()
		r.Send(link.Up, linktest.IDPacket(uint64(i), 100))
	}
	require.Eventually(t, func() bool { return len(server.got()) == n }, 10*time.Second, time.Millisecond)
	for i, id := range server.got() {
		require.EqualValues(t, i, id, "jitter must not reorder")
	}
	// The first packet cannot leave before its delay less a jitter draw;
	// none leaves before zero delay.
	for i, at := range server.at {
		require.False(t, at.Before(sent[i]), "packet %d left before it was sent", i)
	}
	c := r.Counters(link.Up)
	assert.EqualValues(t, n, c.Packets)
	assert.EqualValues(t, n, c.Forwarded)
	assert.EqualValues(t, n*100, c.Bytes)
	assert.Zero(t, r.Counters(link.Down).Packets)
}

// A packet on its own leaves when due; the packets of a train behind a
// rate limit may leave with the one due, at most trainSlack (50 µs)
// before their own time, never earlier.
func TestRelayTrainLeavesAtMostSlackEarly(t *testing.T) {
	const n, size = 400, 1500
	delay := 10 * time.Millisecond
	r, _, server := newTestRelay(t, link.Spec{Up: link.Config{Delay: delay, Bandwidth: 1e9}, Seed: 1})
	// Each packet's time is at least its delay plus its serialisation
	// behind those ahead of it (12 µs each at 1 Gbit/s), from before the
	// first was offered.
	start := time.Now()
	for i := range n {
		r.Send(link.Up, linktest.IDPacket(uint64(i), size))
	}
	require.Eventually(t, func() bool { return len(server.got()) == n }, 10*time.Second, time.Millisecond)
	server.mu.Lock()
	arrived := append([]time.Time(nil), server.at...)
	server.mu.Unlock()
	for i, at := range arrived {
		due := start.Add(delay + time.Duration(i+1)*link.Serialization(size, 1e9))
		require.False(t, at.Before(due.Add(-50*time.Microsecond)), "packet %d left %v before its time", i, due.Sub(at))
	}

	// A lone packet is never early.
	sent := time.Now()
	r.Send(link.Up, linktest.IDPacket(n, size))
	require.Eventually(t, func() bool { return len(server.got()) == n+1 }, 10*time.Second, time.Millisecond)
	server.mu.Lock()
	defer server.mu.Unlock()
	assert.GreaterOrEqual(t, server.at[n].Sub(sent), delay)
}

func TestRelayReordersWhenAsked(t *testing.T) {
	const n = 5000
	r, client, _ := newTestRelay(t, link.Spec{Down: link.Config{Delay: 2 * time.Millisecond, Reorder: 0.05}, Seed: 1})
	for i := range n {
		r.Send(link.Down, linktest.IDPacket(uint64(i), 100))
	}
	require.Eventually(t, func() bool { return len(client.got()) == n }, 10*time.Second, time.Millisecond)
	var late int
	var highest uint64
	for i, id := range client.got() {
		if i > 0 && id < highest {
			late++
		}
		highest = max(highest, id)
	}
	c := r.Counters(link.Down)
	assert.Positive(t, c.Reordered)
	// What the receiver sees as late arrivals are the packets overtaken.
	assert.Positive(t, late)
}

func TestRelayCountsRefusedPackets(t *testing.T) {
	r, _, server := newTestRelay(t, link.Spec{})
	server.mu.Lock()
	server.fail = true
	server.mu.Unlock()
	r.Send(link.Up, linktest.IDPacket(1, 64))
	require.Eventually(t, func() bool { return len(server.got()) == 1 }, time.Second, time.Millisecond)
	c := r.Counters(link.Up)
	assert.EqualValues(t, 1, c.Packets)
	assert.Zero(t, c.Forwarded, "a packet the far side refused is not forwarded")
}

// countedPacket counts its releases, to check that no packet is leaked.
type countedPacket struct {
	released *atomic.Int64
}

func (p *countedPacket) Len() int           { return 100 }
func (p *countedPacket) Clone() link.Packet { return &countedPacket{p.released} }
func (p *countedPacket) Release()           { p.released.Add(1) }

func TestRelayCloseReleasesHeldPackets(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var released atomic.Int64
	never := &recorder{}
	r, err := link.NewRelay(context.Background(), link.Symmetric(link.Config{Delay: time.Hour, Duplicate: 0.5}, 1), never, never)
	require.NoError(t, err)
	for range 100 {
		r.Send(link.Up, &countedPacket{&released})
	}
	dups := r.Counters(link.Up).Duplicated
	require.NoError(t, r.Close())
	assert.EqualValues(t, 100+dups, released.Load(), "every held packet and copy released")
	r.Send(link.Down, &countedPacket{&released})
	assert.EqualValues(t, 101+dups, released.Load(), "a packet sent after Close is released")
	assert.Empty(t, never.got())
}

// chanSource is a link.Source fed by a channel.
type chanSource chan link.Packet

func (s chanSource) ReadPacket(ctx context.Context) (link.Packet, error) {
	select {
	case p, ok := <-s:
		if !ok {
			return nil, errors.New("source closed")
		}
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestRelayPump(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r, _, server := newTestRelay(t, link.Spec{})
	src := make(chanSource, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Pump(ctx, link.Up, src) }()
	for i := range 10 {
		src <- linktest.IDPacket(uint64(i), 60)
	}
	require.Eventually(t, func() bool { return len(server.got()) == 10 }, time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	close(src)
	err := r.Pump(context.Background(), link.Up, src)
	assert.ErrorContains(t, err, "source closed")
	r.Close()
}

func TestRelayStopsWithContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	r, err := link.NewRelay(ctx, link.Spec{}, &recorder{}, &recorder{})
	require.NoError(t, err)
	cancel()
	require.NoError(t, r.Close())
}

func TestRelayRejectsBadSpec(t *testing.T) {
	_, err := link.NewRelay(context.Background(), link.Spec{Up: link.Config{Loss: 2}}, &recorder{}, &recorder{})
	assert.ErrorContains(t, err, "loss")
}

// BenchmarkRelay measures the relay alone: packets of 1500 bytes through
// one direction with no impairment (the path every unimpaired packet
// takes: decide, queue, hand over to the direction's goroutine, deliver),
// and with a delay, which adds the timer. The sender stays at most 4096
// packets ahead, as a transport's window would keep it.
func BenchmarkRelay(b *testing.B) {
	for _, bc := range []struct {
		name string
		conf link.Config
	}{
		{"clean", link.Config{}},
		{"delay=1ms", link.Config{Delay: time.Millisecond}},
		{"lossy", linktest.Lossy},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sink := &linktest.Counter{}
			r, err := link.NewRelay(context.Background(), link.Symmetric(bc.conf, 1), sink, sink)
			require.NoError(b, err)
			defer r.Close()
			payload := make([]byte, 1500)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			// settled is how many packets sent so far the link is done
			// with: delivered, or dropped (less the copies it added).
			settled := func() int64 {
				c := r.Counters(link.Up)
				return sink.Count() + int64(c.Dropped()) - int64(c.Duplicated)
			}
			var done int64
			for i := 0; i < b.N; i++ {
				for int64(i)-done > 4096 {
					runtime.Gosched()
					done = settled()
				}
				r.Send(link.Up, link.NewBuf(payload))
			}
			for settled() < int64(b.N) {
				runtime.Gosched()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
