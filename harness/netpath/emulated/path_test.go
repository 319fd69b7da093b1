package emulated

import (
	"context"
	"io"
	"math"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
	"netmatrix/harness/link/tcpflow"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/pathtest"
)

// newTestPath builds an emulated path that closes when the test ends.
func newTestPath(tb testing.TB, ctx context.Context, spec link.Spec, opts ...netpath.Options) *Path {
	tb.Helper()
	var o netpath.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	p, err := New(ctx, spec, o)
	require.NoError(tb, err)
	tb.Cleanup(func() { p.Close() })
	return p
}

func TestTCPLossyIsByteExact(t *testing.T) {
	ctx := pathtest.Context(t, 90*time.Second)
	pathtest.AssertLossyTransfer(t, ctx, newTestPath(t, ctx, link.Symmetric(linktest.Lossy, 1), pathtest.BulkOptions))
}

// udpSend counts what n numbered datagrams up a fresh path of spec
// became (pathtest.UDPTally).
func udpSend(t *testing.T, spec link.Spec, n int) pathtest.UDPRun {
	t.Helper()
	ctx := pathtest.Context(t, 60*time.Second)
	return pathtest.UDPTally(t, ctx, newTestPath(t, ctx, spec), n)
}

func TestUDPLossIsTheLinksDrops(t *testing.T) {
	const n = 20_000
	pathtest.AssertUDPLossIsTheLinks(t, udpSend(t, link.Symmetric(linktest.Lossy, 1), n), n)
}

func TestSeedReplaysOnStacks(t *testing.T) {
	const n = 5_000
	spec := link.Symmetric(linktest.Lossy, 42)
	a := udpSend(t, spec, n)
	b := udpSend(t, spec, n)
	assert.Equal(t, a.Count, b.Count, "same seed: the same datagrams lost and duplicated")
	spec.Seed = 43
	c := udpSend(t, spec, n)
	assert.NotEqual(t, a.Count, c.Count)
}

func TestBandwidthLimit(t *testing.T) {
	const bandwidth = 10_000_000
	// Each full 1500-byte packet carries 20 bytes of IPv4 header, 20 of
	// TCP header and 12 of the timestamp option gVisor negotiates: 1448
	// bytes of goodput.
	const perPacket = 1500 - 20 - 20 - 12
	allowed := float64(bandwidth) / 8 * perPacket / 1500
	// A 10 ms RTT and a 100-packet queue; the receiver's 128 KiB window
	// keeps at most about 90 packets in flight, so the queue never
	// overflows and the RTT stays under the 200 ms minimum RTO: what this
	// measures is the bottleneck, not TCP's loss recovery.
	spec := link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1)
	spec.Up.Bandwidth, spec.Up.Queue = bandwidth, 100
	// On a loaded machine (CI runs packages side by side on two cores) a
	// starved gVisor sender can stall on its own, so the best of three
	// transfers is the path's figure; none may beat the link.
	var best float64
	for try := range 3 {
		ctx := pathtest.Context(t, 60*time.Second)
		p := newTestPath(t, ctx, spec)
		tr := pathtest.TCPTransferWith(t, ctx, p, 4<<20, 1, func(c net.Conn) error {
			return c.(*TCPConn).SetReadBuffer(128 << 10)
		})
		require.NoError(t, tr.Err)
		require.NoError(t, tr.ServerErr)
		require.Equal(t, tr.Sent, tr.Got)
		goodput := float64(tr.GotN) / tr.Elapsed.Seconds()
		st := pathtest.Stats(t, p)
		t.Logf("try %d: goodput %.0f B/s of %.0f allowed, %v; up %+v; retransmits %d", try, goodput, allowed, tr.Elapsed, st.Up, st.TCPRetransmits)
		assert.LessOrEqual(t, goodput, allowed*1.001, "no faster than the link")
		assert.Positive(t, st.Up.Delayed, "the queue held packets")
		p.Close()
		best = max(best, goodput)
		if math.Abs(goodput-allowed)/allowed <= 0.05 {
			break
		}
	}
	assert.InEpsilon(t, allowed, best, 0.05)
}

// BenchmarkTCP measures bulk TCP goodput through the path with no
// impairment.
func BenchmarkTCP(b *testing.B) { pathtest.BenchTCPMTUs(b, New) }

// BenchmarkLongFatLink: 1 Gbit/s, 50 ms round trip, 16 MiB buffers.
func BenchmarkLongFatLink(b *testing.B) { pathtest.BenchTCPLongFatLink(b, New) }

// A tap on the path reads its packets in place: the segments of a TCP
// transfer, seen as the server's stack received them, cover every byte
// sent, and reading a packet's headers costs no allocation.
func TestTapSeesTCPSegments(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	// A lossy bulk transfer: SACK recovery, as pathtest.BulkOptions says why.
	p := newTestPath(t, ctx, link.Symmetric(link.Config{Loss: 0.02, Delay: time.Millisecond}, 1), pathtest.BulkOptions)
	ln, err := p.Server().Listen(ctx, "tcp", "10.0.0.2:5001")
	require.NoError(t, err)
	defer ln.Close()
	seg := tcpflow.New(5001)
	allocs := -1.0
	head := make([]byte, tcpflow.MaxHeaders)
	p.SetTap(func(d link.Dir, at int64, pkt link.Packet) {
		seg.Tap(d, at, pkt)
		if allocs < 0 {
			allocs = testing.AllocsPerRun(10, func() { link.Head(pkt, head) })
		}
	})
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	c, err := p.Client().Dial(ctx, "tcp", "10.0.0.2:5001")
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(make([]byte, 1<<20))
	require.NoError(t, err)
	require.NoError(t, c.(*TCPConn).CloseWrite())
	require.EqualValues(t, 1<<20, <-got)
	assert.Zero(t, allocs, "link.Head allocates nothing")

	msgs, err := metrics.HeadOfLine(seg.Arrivals(), metrics.Framing{Size: 1024}, 1024)
	require.NoError(t, err)
	for k, m := range msgs {
		require.True(t, m.Complete, "every byte of block %d was seen arriving", k)
	}
	st := pathtest.Stats(t, p)
	require.Positive(t, st.Up.Lost, "some segments had to be sent again")
}

// The stall that -cc cubic was blamed for, shown (it is not CUBIC's): in
// the pinned gVisor, a SYN-ACK sent again by the server's timer echoes the
// first SYN's timestamp, so when the first SYN-ACK is lost the client's
// first round-trip sample is the whole dial, a second or more. Its
// retransmission timeout starts there and decays slowly, so a flow under
// heavy loss can sit out seconds after a single loss. Linux refreshes
// the echo and does not (the kernel path). If this test fails, gVisor
// has mended it: update docs/fidelity.md and the -cc help.
func TestHandshakeLossPoisonsRTT(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	var dial time.Duration
	var info map[string]uint64
	for seed := uint64(1); seed <= 40 && dial < 900*time.Millisecond; seed++ {
		p := newTestPath(t, ctx, link.Symmetric(link.Config{Loss: 0.2, Delay: 10 * time.Millisecond}, seed))
		ln, err := p.Server().Listen(ctx, "tcp", "10.0.0.2:5001")
		require.NoError(t, err)
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		start := time.Now()
		c, err := p.Client().Dial(ctx, "tcp", "10.0.0.2:5001")
		require.NoError(t, err)
		dial = time.Since(start)
		info = c.(*TCPConn).TCPInfo()
		c.Close()
		ln.Close()
		p.Close()
	}
	require.GreaterOrEqual(t, dial, 900*time.Millisecond, "some seed loses a handshake packet")
	rtt := time.Duration(info["tcp_rtt_us"]) * time.Microsecond
	t.Logf("dial took %v; gVisor's smoothed RTT %v, RTO %v µs, on a 20 ms path", dial, rtt, info["tcp_rto_us"])
	// The seeds' fates are fixed: the first that loses a handshake packet
	// (seed 1) loses the server's SYN-ACK.
	assert.Greater(t, rtt, 10*20*time.Millisecond, "the first sample was the dial, not the path")
	assert.Greater(t, time.Duration(info["tcp_rto_us"])*time.Microsecond, time.Second, "and the RTO starts at seconds")
}

// -sndbuf and -rcvbuf reach every TCP socket, dialled and accepted, kept
// doubled as Linux keeps them, past the stack's autotuning maximum.
func TestSocketBuffers(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	opts := netpath.Options{SendBuffer: 16 << 20, ReceiveBuffer: 64 << 10}
	p := newTestPath(t, ctx, link.Symmetric(link.Config{}, 1), opts)
	pathtest.AssertSocketBuffers(t, ctx, p, opts, func(c net.Conn) (int, int) {
		so := c.(*TCPConn).ep.SocketOptions()
		return int(so.GetSendBufferSize()), int(so.GetReceiveBufferSize())
	})
}

// Without them, a socket starts from Linux's tcp_wmem and tcp_rmem
// defaults.
func TestSocketBuffersDefault(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	p := newTestPath(t, ctx, link.Symmetric(link.Config{}, 1))
	c, s := pathtest.TCPPair(t, ctx, p)
	for _, conn := range []net.Conn{c, s} {
		so := conn.(*TCPConn).ep.SocketOptions()
		assert.EqualValues(t, 16<<10, so.GetSendBufferSize())
		assert.EqualValues(t, 128<<10, so.GetReceiveBufferSize())
	}
}
