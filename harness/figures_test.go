package harness

// One test per defect the figures audit found (the figures issue): each
// failed on the code before its fix.

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link"
	"netmatrix/internal/testutil"
	"netmatrix/results"
	"netmatrix/tcp"
)

// runOne runs one workload of one transport over a fresh emulated path
// of spec and returns its row.
func runOne(t *testing.T, spec link.Spec, workload, transport string, cfg Config) results.Result {
	t.Helper()
	cfg.Workloads, cfg.Transports = []string{workload}, []string{transport}
	recs, err := Run(t.Context(), []Scenario{onEmulated("x", spec)}, cfg, nil)
	require.NoError(t, err)
	return find(t, recs[0], workload, transport)
}

// Goodput of a time-limited run is what was delivered over the run's
// length, however early the last byte came: a flow that stalls at the
// end delivered less, and its goodput says so.
func TestGoodputIsOverTheRunsLength(t *testing.T) {
	spec := link.Symmetric(link.Config{Loss: 0.15, Delay: 50 * time.Millisecond}, 1)
	const d = 2 * time.Second
	r := runOne(t, spec, catalog.Bulk, catalog.TCP, Config{Duration: d})
	require.Empty(t, r.Error)
	require.NotNil(t, r.GoodputMbitS)
	t.Logf("delivered %d bytes, elapsed %v, goodput %.3f Mbit/s", r.Bytes, r.Elapsed, *r.GoodputMbitS)
	assert.InDelta(t, d.Seconds(), r.Elapsed.D().Seconds(), 0.1, "the window is the run's length")
	assert.InDelta(t, float64(r.Bytes)*8/r.Elapsed.D().Seconds()/1e6, *r.GoodputMbitS, 1e-9)

	// A transfer of fixed size reports its completion time instead.
	r = runOne(t, link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1), catalog.Bulk, catalog.TCP, Config{BulkBytes: 1 << 20})
	require.Empty(t, r.Error)
	assert.EqualValues(t, 1<<20, r.Bytes)
	assert.Greater(t, r.Elapsed.D(), 10*time.Millisecond, "at least a round trip")
	assert.InDelta(t, float64(r.Bytes)*8/r.Elapsed.D().Seconds()/1e6, *r.GoodputMbitS, 1e-9)
}

// A duplicated datagram is not a second arrival: the wait for late ones
// goes on until every message is in, so nothing the link delivered is
// counted lost.
func TestDuplicatesAreNotLoss(t *testing.T) {
	spec := link.Symmetric(link.Config{Delay: 100 * time.Millisecond, Duplicate: 0.1}, 1)
	r := runOne(t, spec, catalog.Stream, catalog.UDP, Config{Count: 100, Interval: 2 * time.Millisecond})
	require.Empty(t, r.Error)
	require.NotNil(t, r.Path)
	require.Zero(t, r.Path.Up.Dropped(), "the link dropped nothing")
	assert.Positive(t, r.Duplicates)
	assert.Zero(t, r.Lost)
	assert.EqualValues(t, 100, r.Delivered)
}

// A duplicated echo reply is a duplicate, not a late reply.
func TestEchoCountsDuplicateReplies(t *testing.T) {
	spec := link.Symmetric(link.Config{Duplicate: 0.2}, 1)
	for _, mode := range []time.Duration{0, time.Millisecond} {
		r := runOne(t, spec, catalog.Echo, catalog.UDP, Config{Count: 200, EchoInterval: mode})
		require.Empty(t, r.Error)
		t.Logf("echo interval %v: delivered %d, duplicates %d, late %d", mode, r.Delivered, r.Duplicates, r.Late)
		assert.EqualValues(t, 200, r.Delivered)
		assert.Positive(t, r.Duplicates)
		assert.Zero(t, r.Late, "no reply took longer than the timeout")
	}
}

// Ping-pong and paced echo keep one rule: a datagram's reply slower than
// the timeout is late, and its probe lost.
func TestPacedEchoHonoursTimeout(t *testing.T) {
	spec := link.Symmetric(link.Config{Delay: 300 * time.Millisecond}, 1)
	for _, mode := range []time.Duration{0, 50 * time.Millisecond} {
		r := runOne(t, spec, catalog.Echo, catalog.UDP, Config{Count: 5, EchoInterval: mode, Timeout: 400 * time.Millisecond})
		require.Empty(t, r.Error)
		assert.Zero(t, r.Delivered, "echo interval %v: a 600 ms round trip is over the 400 ms timeout", mode)
		assert.EqualValues(t, 5, r.Lost)
		assert.Nil(t, r.LatencyMs, "no reply in time, no latency figure")
	}
}

// silentPeer accepts TCP connections and never reads them, until the
// test ends.
func silentPeer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// A paced echo against a peer that never reads ends on its own once the
// connection has stalled for Stall, and within a second of cancellation.
func TestEchoAgainstSilentPeerEnds(t *testing.T) {
	target := Target{URL: "tcp://" + silentPeer(t)}
	cfg := Config{Count: 100000, EchoInterval: time.Millisecond, Size: 60000, Stall: 500 * time.Millisecond}
	start := time.Now()
	rec, err := RunTarget(t.Context(), target, cfg, nil)
	require.NoError(t, err)
	r := rec.Results[0]
	t.Logf("ended after %v: sent %d, %s", time.Since(start), r.Sent, r.Error)
	assert.NotEmpty(t, r.Error, "a stalled run says so")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Less(t, r.Sent, int64(100000), "only what went out counts as sent")

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	cfg.Stall = time.Hour
	_, err = RunTarget(ctx, target, cfg, nil)
	_ = err
	assert.Less(t, time.Since(start), 300*time.Millisecond+time.Second, "stops within a second of cancellation")
}

// A ping-pong echo against a live server stops within a second of
// cancellation, however many probes are left.
func TestPingPongStopsWhenCancelled(t *testing.T) {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	testutil.EchoPackets(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = RunTarget(ctx, Target{URL: "udp://" + srv.LocalAddr().String()}, Config{Count: 100_000_000}, nil)
	_ = err
	assert.Less(t, time.Since(start), 300*time.Millisecond+time.Second)
}

// Out-of-order transports have no head-of-line delay by construction:
// their rows carry none. Ordered ones carry zero on a path that loses
// nothing, whatever its jitter and however the machine stalls (the 3g
// profile without its loss, where the old figure read 19-20 ms).
func TestHeadOfLineOnlyForOrderedTransports(t *testing.T) {
	spec, err := link.Profile("3g")
	require.NoError(t, err)
	spec.Both(func(c *link.Config) { c.Loss = 0 })
	recs, err := Run(t.Context(), []Scenario{onEmulated("3g", spec)},
		Config{Workloads: []string{catalog.Stream}, Count: 60, Interval: 10 * time.Millisecond}, nil)
	require.NoError(t, err)
	for _, r := range recs[0].Results {
		require.Empty(t, r.Error, r.Transport)
		tr, _ := catalog.LookupTransport(r.Transport)
		if !tr.Ordered {
			assert.Nil(t, r.HOLMs, r.Transport)
			continue
		}
		require.NotNil(t, r.HOLMs, r.Transport)
		assert.Zero(t, r.HOLMs.Max, "%s: nothing was lost, nothing waited", r.Transport)
		assert.EqualValues(t, 60, r.HOLMs.N, "%s: a figure for every message", r.Transport)
	}
}

// Every emulated row carries the relay's lateness; with the CPUs taken by
// busy loops the relay hands packets over late, and the rows say their
// figures are the machine's, not the transport's.
func TestStarvedRelayFlagsRows(t *testing.T) {
	spec := link.Symmetric(link.Config{Delay: time.Millisecond}, 1)
	stop := make(chan struct{})
	var spinning sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		spinning.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1e6; i++ {
				}
			}
		})
	}
	r := runOne(t, spec, catalog.Stream, catalog.UDP, Config{Count: 200, Interval: time.Millisecond})
	close(stop)
	spinning.Wait()
	require.Empty(t, r.Error)
	require.NotNil(t, r.Path)
	require.NotNil(t, r.Path.RelayLateness, "every emulated row carries the relay's lateness")
	late := r.Path.RelayLateness
	t.Logf("relay lateness p50 %.3f p99 %.3f max %.3f ms over %d packets; one-way delay p50 %.3f ms",
		late.P50, late.P99, late.Max, late.N, r.LatencyMs.P50)
	assert.Positive(t, late.N)
	assert.True(t, r.EmulatorBound, "a starved relay bounds the row")
}

// A paced echo cancelled while its write is blocked ends as an
// interrupted run, as ping-pong does: the write's timeout is the
// cancellation's doing, not a failure of the send to report.
func TestPacedEchoCancelledMidWriteIsInterrupted(t *testing.T) {
	for _, paced := range []bool{false, true} {
		t.Run(map[bool]string{false: "ping-pong", true: "paced"}[paced], func(t *testing.T) {
			cfg := Config{Count: 10, Timeout: time.Hour, Stall: time.Hour}.Defaults()
			if paced {
				cfg.EchoInterval = time.Millisecond
			}
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			// A pipe's write blocks until its peer reads, and this one never does.
			c, peer := net.Pipe()
			defer peer.Close()
			conn, err := tcp.DialEcho(ctx, func(context.Context, string, string) (net.Conn, error) { return c, nil }, "pipe", tcp.Options{})
			require.NoError(t, err)
			defer conn.Close()
			r, err := runEcho(ctx, &flow{conn: conn, reliable: true}, &cfg)
			assert.Less(t, time.Since(start), 2*time.Second, "the cancel cut the write short")
			// The row as the engine finishes it.
			finishRow(ctx, &r, catalog.TCP, catalog.Echo, err, start)
			assert.True(t, r.Interrupted)
			assert.Empty(t, r.Error, "no send failure beside the interruption")
		})
	}
}

// An interrupted run counts what was still on its way as in flight, not
// lost: on a clean link with a 100 ms round trip, the probes and
// messages of the last round trip. (Before, an echo cut short at a 5 ms
// pace read "lost 20", and TCP's stream lost messages.)
func TestInterruptedRunsCountInFlightNotLost(t *testing.T) {
	spec := link.Symmetric(link.Config{Delay: 50 * time.Millisecond}, 1)
	for _, tc := range []struct {
		workload, transport string
		pace                time.Duration // 0: ping-pong
		most                int64         // in flight at most
		direction           string
	}{
		{catalog.Echo, "udp", 5 * time.Millisecond, 20, ""},
		{catalog.Echo, "tcp", 5 * time.Millisecond, 20, ""},
		{catalog.Echo, "udp", 0, 1, ""},
		{catalog.Stream, "udp", 5 * time.Millisecond, 10, ""},
		{catalog.Stream, "tcp", 5 * time.Millisecond, 10, ""},
		// The server half sends: its report of what it sent until the
		// cut still counts (it read "sent 0" before).
		{catalog.Stream, "udp", 5 * time.Millisecond, 10, half.Down},
		{catalog.Stream, "tcp", 5 * time.Millisecond, 10, half.Down},
	} {
		t.Run(fmt.Sprintf("%s/%s/%v/%s", tc.workload, tc.transport, tc.pace, tc.direction), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(800*time.Millisecond, cancel)
			recs, _ := Run(ctx, []Scenario{onEmulated("delayed", spec)},
				Config{Transports: []string{tc.transport}, Workloads: []string{tc.workload}, Count: 100000,
					EchoInterval: tc.pace, Interval: tc.pace, Direction: tc.direction}, nil)
			require.Len(t, recs, 1)
			r := find(t, recs[0], tc.workload, tc.transport)
			t.Logf("sent %d, delivered %d, lost %d, in flight %d", r.Sent, r.Delivered, r.Lost, r.InFlight)
			assert.True(t, r.Interrupted)
			assert.Empty(t, r.Error, "the interruption is the whole story")
			assert.Positive(t, r.Delivered)
			assert.Zero(t, r.Lost, "the link lost nothing")
			assert.Equal(t, r.Sent, r.Delivered+r.InFlight)
			assert.Positive(t, r.InFlight, "the last round trip's were on their way")
			// A round trip's worth at the pace (a one-way trip's for a
			// stream), with room for a machine that was late to cut.
			assert.LessOrEqual(t, r.InFlight, tc.most+tc.most/2+2)
		})
	}
}

// Worked by hand: probes at 0, 10, 20 and 30 ms, the first and last
// answered; at 35 ms with a 20 ms reply time, probe 1 (25 ms old) is
// past its time and probe 2 (15 ms) is not. A probe exactly its time old
// is past it.
func TestEchoUnsettled(t *testing.T) {
	ms := func(n int) int64 { return int64(n) * int64(time.Millisecond) }
	tally := &echoTally{sentAt: []int64{ms(0), ms(10), ms(20), ms(30)}, answered: []bool{true, false, false, true}}
	assert.Equal(t, int64(1), tally.unsettled(ms(35), 20*time.Millisecond))
	assert.Equal(t, int64(0), tally.unsettled(ms(40), 20*time.Millisecond), "probe 2 is exactly 20 ms old")
	assert.Equal(t, int64(2), tally.unsettled(ms(35), time.Second))
	assert.Equal(t, int64(0), (&echoTally{}).unsettled(ms(35), time.Second), "nothing sent")
}
