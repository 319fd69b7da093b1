package link_test

import (
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
	"netmatrix/internal/wire"
)

// tapRecord is what a tap saw of one packet.
type tapRecord struct {
	dir link.Dir
	at  int64
	id  uint64 // the packet's first 8 bytes
	len int
}

// recordingTap keeps what it sees.
type recordingTap struct {
	mu   sync.Mutex
	seen []tapRecord
}

func (r *recordingTap) tap(d link.Dir, at int64, p link.Packet) {
	var head [8]byte
	b := link.Head(p, head[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, tapRecord{dir: d, at: at, id: binary.BigEndian.Uint64(b), len: p.Len()})
}

func (r *recordingTap) records() []tapRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tapRecord(nil), r.seen...)
}

// waitFor polls until cond holds or a second passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, time.Second, time.Millisecond)
}

func TestTapSeesDeliveriesWithTheirDirectionTimeAndBytes(t *testing.T) {
	client, server := &linktest.Counter{}, &linktest.Counter{}
	// 5 ms of delay: a tap's time is the delivery's, not the send's.
	r, err := link.NewRelay(context.Background(), link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1), client, server)
	require.NoError(t, err)
	defer r.Close()

	r.Send(link.Up, linktest.IDPacket(100, 60)) // before the tap: not seen
	waitFor(t, func() bool { return server.Count() == 1 })

	rec := &recordingTap{}
	r.SetTap(rec.tap)
	sent := wire.Now()
	r.Send(link.Up, linktest.IDPacket(1, 100))
	r.Send(link.Down, linktest.IDPacket(2, 40))
	r.Send(link.Up, linktest.IDPacket(3, 1500))
	waitFor(t, func() bool { return server.Count() == 3 && client.Count() == 1 })

	seen := rec.records()
	require.Len(t, seen, 3)
	var up []tapRecord
	for _, s := range seen {
		assert.GreaterOrEqual(t, s.at-sent, int64(5*time.Millisecond), "seen at delivery, after the delay")
		assert.LessOrEqual(t, s.at, wire.Now())
		if s.dir == link.Up {
			up = append(up, s)
		} else {
			assert.Equal(t, tapRecord{dir: link.Down, at: s.at, id: 2, len: 40}, s)
		}
	}
	require.Len(t, up, 2)
	assert.Equal(t, []uint64{1, 3}, []uint64{up[0].id, up[1].id}, "in delivery order")
	assert.Equal(t, []int{100, 1500}, []int{up[0].len, up[1].len})
	assert.LessOrEqual(t, up[0].at, up[1].at)

	r.SetTap(nil)
	r.Send(link.Up, linktest.IDPacket(4, 60))
	waitFor(t, func() bool { return server.Count() == 4 })
	assert.Len(t, rec.records(), 3, "no tap, nothing seen")
}

// What the link drops never reaches the far host, so no tap sees it;
// a duplicate reaches it twice and is seen twice.
func TestTapSeesNeitherDropsNorFewerCopies(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf link.Config
		want int
	}{
		{"too big for the MTU", link.Config{MTU: link.MinMTU}, 0},
		{"all duplicated", link.Config{Duplicate: 1}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &linktest.Counter{}
			r, err := link.NewRelay(context.Background(), link.Symmetric(tc.conf, 1), sink, sink)
			require.NoError(t, err)
			defer r.Close()
			rec := &recordingTap{}
			r.SetTap(rec.tap)
			r.Send(link.Up, linktest.IDPacket(7, link.MinMTU+1))
			waitFor(t, func() bool { return r.Counters(link.Up).Forwarded+r.Counters(link.Up).Dropped() >= 1 })
			time.Sleep(10 * time.Millisecond) // a second copy, if any, comes with the first
			assert.Len(t, rec.records(), tc.want)
		})
	}
}

// opaque is a Packet that does not show its bytes.
type opaque struct{}

func (opaque) Len() int           { return 20 }
func (opaque) Clone() link.Packet { return opaque{} }
func (opaque) Release()           {}

func TestHead(t *testing.T) {
	p := link.NewBuf([]byte{1, 2, 3, 4, 5})
	var dst [3]byte
	assert.Equal(t, []byte{1, 2, 3}, link.Head(p, dst[:]), "as many as fit")
	var big [8]byte
	assert.Equal(t, []byte{1, 2, 3, 4, 5}, link.Head(p, big[:]), "as many as there are")
	assert.Nil(t, link.Head(link.NewBuf(nil), big[:]), "an empty packet")
	assert.Nil(t, link.Head(opaque{}, big[:]), "a packet that does not show its bytes")
}

func TestBufReadAt(t *testing.T) {
	p := link.NewBuf([]byte("abcdef"))
	b := make([]byte, 4)
	n, err := p.ReadAt(b, 1)
	assert.NoError(t, err)
	assert.Equal(t, "bcde", string(b[:n]))
	n, err = p.ReadAt(b, 4)
	assert.ErrorIs(t, err, io.EOF, "short read at the end")
	assert.Equal(t, "ef", string(b[:n]))
	_, err = p.ReadAt(b, 6)
	assert.ErrorIs(t, err, io.EOF)
	_, err = p.ReadAt(b, -1)
	assert.Error(t, err)
}

// BenchmarkRelayTap is BenchmarkRelay's clean case (package harness) with
// and without a tap that reads each packet's first 40 bytes: what
// observing costs, and that not observing costs nothing.
func BenchmarkRelayTap(b *testing.B) {
	var headBytes atomic.Int64
	for _, bc := range []struct {
		name string
		tap  link.Tap
	}{
		{"none", nil},
		{"head", func(_ link.Dir, _ int64, p link.Packet) {
			var h [40]byte
			headBytes.Add(int64(len(link.Head(p, h[:]))))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sink := &linktest.Counter{}
			r, err := link.NewRelay(context.Background(), link.Symmetric(link.Config{}, 1), sink, sink)
			require.NoError(b, err)
			defer r.Close()
			r.SetTap(bc.tap)
			payload := make([]byte, 1500)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for int64(i)-sink.Count() > 4096 {
					runtime.Gosched()
				}
				r.Send(link.Up, link.NewBuf(payload))
			}
			for sink.Count() < int64(b.N) {
				runtime.Gosched()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
