package harness

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
	"netmatrix/harness/netpath/kernel"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/harness/netpath/pathtest"
	"netmatrix/results"
)

// onEmulated is a scenario on a fresh emulated path of spec per run.
func onEmulated(name string, spec link.Spec) Scenario {
	return Scenario{
		Record: results.Scenario{Name: name, Link: "emulated"},
		NewPath: func(ctx context.Context, _ netpath.Use) (netpath.Path, error) {
			return emulated.New(ctx, spec, netpath.Options{})
		},
		Concurrent: spec.Up.Delay >= time.Millisecond,
	}
}

func find(t *testing.T, rec results.Record, workload, transport string) results.Result {
	t.Helper()
	for _, r := range rec.Results {
		if r.Workload == workload && r.Transport == transport {
			return r
		}
	}
	t.Fatalf("no %s/%s result in %+v", workload, transport, rec.Results)
	return results.Result{}
}

// The textbook claim, measured: over the same lossy link TCP delivers
// every message but makes later ones wait; UDP delivers what the link
// let through, no more and no less, and nothing waits.
func TestStreamTCPReliableUDPLossy(t *testing.T) {
	spec := link.Symmetric(link.Config{Loss: 0.05, Delay: 10 * time.Millisecond}, 3)
	recs, err := Run(t.Context(), []Scenario{onEmulated("lossy", spec)},
		Config{Transports: []string{"tcp", "udp"}, Workloads: []string{"stream"}, Count: 300, Interval: 10 * time.Millisecond}, nil)
	require.NoError(t, err)
	tcp, udp := find(t, recs[0], "stream", "tcp"), find(t, recs[0], "stream", "udp")
	require.Empty(t, tcp.Error)
	require.Empty(t, udp.Error)

	assert.Equal(t, int64(300), tcp.Delivered)
	assert.Zero(t, tcp.Lost)
	assert.Zero(t, tcp.Reordered, "TCP delivers in order")
	require.NotNil(t, tcp.Path)
	assert.Positive(t, tcp.Path.TCPRetransmits, "the stack repaired the loss")
	assert.Positive(t, tcp.HOLMs.P99, "messages waited behind retransmissions")
	// A retransmission costs at least a round trip: TCP's tail stands
	// above UDP's typical delay by more than the link's one way. (Held
	// against UDP's own p99, the third-slowest of 300, one stall of the
	// loaded machine on the UDP flow decided it: 182 ms against 79.)
	assert.Greater(t, tcp.LatencyMs.P99, udp.LatencyMs.P50+10, "and TCP's tail is longer for it")

	require.NotNil(t, udp.Path)
	assert.Positive(t, udp.Lost)
	// Each message is one datagram and one IP packet: UDP delivers
	// exactly what the link forwarded to the server.
	assert.Equal(t, int64(udp.Path.Up.Forwarded), udp.Delivered+udp.Duplicates)
	assert.Equal(t, int64(udp.Path.Up.Lost), udp.Lost)
	assert.Nil(t, udp.HOLMs, "no datagram waits for another")
}

func TestRunEveryWorkloadOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var mu sync.Mutex
	bulkPaths, otherPaths := 0, 0
	recs, err := Run(t.Context(), []Scenario{{
		Record: results.Scenario{Name: "loopback", Link: "loopback"},
		NewPath: func(_ context.Context, use netpath.Use) (netpath.Path, error) {
			mu.Lock()
			defer mu.Unlock()
			if use.Bulk {
				bulkPaths++
			} else {
				otherPaths++
			}
			return loopback.New(netpath.Options{})
		},
	}}, Config{Transports: []string{"tcp", "udp"}, Count: 40, Interval: 2 * time.Millisecond, Duration: 200 * time.Millisecond}, nil)
	require.NoError(t, err)
	// A path knows when it carries a bulk run (the emulated path's TCP
	// then recovers by SACK alone): two bulk runs, five others.
	assert.Equal(t, 2, bulkPaths)
	assert.Equal(t, 5, otherPaths)
	rec := recs[0]
	assert.Equal(t, results.Schema, rec.Schema)
	// echo, stream and bulk for both, http over TCP alone, in table order.
	var got []string
	for _, r := range rec.Results {
		assert.Empty(t, r.Error, "%s/%s", r.Workload, r.Transport)
		got = append(got, r.Workload+"/"+r.Transport)
	}
	assert.Equal(t, []string{"echo/tcp", "echo/udp", "stream/tcp", "stream/udp", "bulk/tcp", "bulk/udp", "http/tcp"}, got)

	echo := find(t, rec, "echo", "tcp")
	assert.Equal(t, int64(40), echo.Delivered)
	assert.Positive(t, echo.LatencyMs.P50)
	assert.GreaterOrEqual(t, echo.LatencyMs.Max, echo.LatencyMs.P99)

	bulk := find(t, rec, "bulk", "tcp")
	require.NotNil(t, bulk.Verified)
	assert.True(t, *bulk.Verified, "every delivered byte matched what was sent")
	require.NotNil(t, bulk.GoodputMbitS)
	assert.Positive(t, *bulk.GoodputMbitS)
	assert.Zero(t, bulk.Lost, "a reliable stream loses nothing")
	assert.Equal(t, bulk.Sent, bulk.Delivered+bulk.InFlight)

	h := find(t, rec, "http", "tcp")
	assert.Equal(t, int64(40), h.Delivered)
	assert.Equal(t, "requests", h.Unit)
}

func TestEchoPacedCountsLostProbes(t *testing.T) {
	spec := link.Symmetric(link.Config{Loss: 0.1, Delay: 2 * time.Millisecond}, 11)
	recs, err := Run(t.Context(), []Scenario{onEmulated("lossy", spec)},
		Config{Transports: []string{"udp", "tcp"}, Workloads: []string{"echo"}, Count: 100,
			EchoInterval: 5 * time.Millisecond}, nil)
	require.NoError(t, err)
	udp := find(t, recs[0], "echo", "udp")
	require.Empty(t, udp.Error)
	require.NotNil(t, udp.Path)
	// A probe is answered when both its datagram and the reply got
	// through; the link counts what it dropped each way. A reply the
	// loaded machine held past the timeout is late, not missing (with a
	// 300 ms timeout, 63 of 82 forwarded replies once counted).
	assert.Equal(t, int64(udp.Path.Down.Forwarded), udp.Delivered+udp.Duplicates+udp.Late)
	assert.Positive(t, udp.Lost)
	tcp := find(t, recs[0], "echo", "tcp")
	require.Empty(t, tcp.Error)
	assert.Equal(t, int64(100), tcp.Delivered, "TCP answers every probe, late or not")
}

func TestRunStopsWhenCancelled(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, []Scenario{onEmulated("slow", link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1))},
		Config{Transports: []string{"tcp", "udp", "quic"}, Count: 1000, Interval: 10 * time.Millisecond}, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Count: -1}, {Size: 8}, {Duration: -time.Second}, {DatagramSize: 70000}, {BulkRate: -5}, {BulkBytes: -1},
	} {
		assert.Error(t, c.Defaults().Validate(), "%+v", c)
	}
	assert.NoError(t, Config{}.Defaults().Validate())
	assert.NoError(t, Config{BulkRate: Unlimited}.Defaults().Validate())
}

// The engine over the kernel path: what only Linux's own stacks give the
// record (TCP_INFO), and QUIC over the kernel's UDP.

// newKernelPath is a kernel path of spec that closes when the test ends;
// it skips where this process cannot make one.
func newKernelPath(tb testing.TB, ctx context.Context, spec link.Spec) netpath.Path {
	tb.Helper()
	if err := kernel.Supported(); err != nil {
		tb.Skipf("kernel path: %v (CI runs these tests as root)", err)
	}
	p, err := kernel.New(ctx, spec, netpath.Options{})
	require.NoError(tb, err)
	tb.Cleanup(func() { p.Close() })
	return p
}

// kernelBulkDelay is the one-way delay of kernelTCPBulk's link.
const kernelBulkDelay = 5 * time.Millisecond

// kernelTCPBulk sends 2 MiB over TCP in direction dir on a kernel path
// that loses 2% each way after a delay of kernelBulkDelay, checks that
// all of it arrived intact, and returns the row and the path.
func kernelTCPBulk(t *testing.T, dir string) (results.Result, netpath.Path) {
	t.Helper()
	ctx := pathtest.Context(t, 60*time.Second)
	p := newKernelPath(t, ctx, link.Symmetric(link.Config{Loss: 0.02, Delay: kernelBulkDelay}, 3))
	cfg := Config{BulkBytes: 2 << 20}.Defaults()
	shape, _ := catalog.LookupTransport(catalog.TCP)
	r, err := runBulk(ctx, transports[catalog.TCP], shape, p, newTapMux(p), dir, &cfg)
	require.NoError(t, err)
	require.True(t, *r.Verified)
	assert.EqualValues(t, 2<<20, r.Bytes, "all of it, however long it takes")
	return r, p
}

func TestKernelTCPInfoInBulkResult(t *testing.T) {
	r, p := kernelTCPBulk(t, half.Up)
	ts := r.TransportStats
	t.Logf("goodput %.1f Mbit/s; TCP_INFO %v", *r.GoodputMbitS, ts)
	assert.EqualValues(t, 1500-20-20-12, ts["tcp_snd_mss"], "MTU less IPv4, TCP and timestamp option")
	assert.GreaterOrEqual(t, ts["tcp_min_rtt_us"], uint64(2*kernelBulkDelay/time.Microsecond))
	assert.Less(t, ts["tcp_min_rtt_us"], uint64((2*kernelBulkDelay+5*time.Millisecond)/time.Microsecond))
	assert.Positive(t, ts["tcp_total_retrans"], "the sender repaired the link's losses")
	assert.Positive(t, ts["tcp_snd_cwnd"])
	assert.Contains(t, ts, "tcp_snd_ssthresh", "a loss set slow start's threshold")
	// The path counts both hosts' retransmissions; the client's are
	// nearly all of them in an upload.
	st, _ := p.Stats()
	assert.GreaterOrEqual(t, st.TCPRetransmits, ts["tcp_total_retrans"])
}

// Downloading, the sender is the server half: its socket's TCP_INFO
// comes back with its report, prefixed server_, next to the client's.
func TestKernelTCPInfoOfBulkDown(t *testing.T) {
	r, _ := kernelTCPBulk(t, half.Down)
	ts := r.TransportStats
	assert.Positive(t, ts["server_tcp_total_retrans"], "the sender repaired the link's losses")
	assert.Zero(t, ts["tcp_total_retrans"], "the receiver sent no data to repair")
	assert.Contains(t, ts, "tcp_min_rtt_us", "the client's own view")
}

func TestKernelQUICOverLoss(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	p := newKernelPath(t, ctx, link.Symmetric(link.Config{Loss: 0.05, Delay: 5 * time.Millisecond}, 7))
	cfg := Config{Count: 150, Interval: 5 * time.Millisecond}.Defaults()
	shape, _ := catalog.LookupTransport(catalog.QUIC)
	r, err := runStream(ctx, transports[catalog.QUIC], shape, p, newTapMux(p), half.Up, &cfg)
	require.NoError(t, err)
	assert.EqualValues(t, 150, r.Delivered, "every message arrived")
	st, _ := p.Stats()
	assert.Positive(t, st.Up.Lost)
	assert.Positive(t, r.TransportStats["packets_lost"], "quic-go saw the loss")
}

// rowsSeen is a Progress that keeps every row Row hands it.
type rowsSeen struct {
	mu  sync.Mutex
	got map[string]results.Result
}

func (*rowsSeen) Start(scenario, workload, transport string)           {}
func (*rowsSeen) Done(scenario, workload, transport string, err error) {}
func (p *rowsSeen) Row(_ int, rec *results.Record, r results.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got[rec.Scenario.Name+"/"+r.Workload+"/"+r.Transport] = r
}

// A RowListener gets each result as its run ends, the same as the record.
func TestRowHandsOverEachResult(t *testing.T) {
	p := &rowsSeen{got: map[string]results.Result{}}
	recs, err := Run(t.Context(), []Scenario{{
		Record:  results.Scenario{Name: "loopback", Link: "loopback"},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return loopback.New(netpath.Options{}) },
	}}, Config{Transports: []string{"tcp", "udp"}, Workloads: []string{"echo", "stream"}, Count: 10, Interval: time.Millisecond}, p)
	require.NoError(t, err)
	require.Len(t, p.got, len(recs[0].Results))
	for _, r := range recs[0].Results {
		assert.Equal(t, r, p.got["loopback/"+r.Workload+"/"+r.Transport])
	}
}
