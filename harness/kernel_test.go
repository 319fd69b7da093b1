//go:build linux

package harness

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"netmatrix/harness/link"
)

// requireKernel skips tb where this process cannot build a kernel path.
func requireKernel(tb testing.TB) {
	tb.Helper()
	if err := KernelSupported(); err != nil {
		tb.Skipf("kernel path: %v (CI runs these tests as root)", err)
	}
}

// newKernelTestPath builds a kernel path that closes when the test ends,
// failed or not, and checks then that nothing of it is left.
func newKernelTestPath(tb testing.TB, ctx context.Context, spec link.Spec, opts ...KernelOption) *KernelPath {
	tb.Helper()
	requireKernel(tb)
	p, err := NewKernelPath(ctx, spec, opts...)
	require.NoError(tb, err)
	inodes := p.namespaces()
	tb.Cleanup(func() {
		p.Close()
		assertNothingLeft(tb, inodes)
	})
	return p
}

// namespaces are the inode numbers of the path's two namespaces.
func (p *KernelPath) namespaces() []uint64 {
	return []uint64{p.client.ns.inode, p.server.ns.inode}
}

// assertNothingLeft checks that this process holds the namespaces of
// inodes no more (by a descriptor or a thread inside), and that nothing
// named nmx is in the host's namespace list or its devices.
func assertNothingLeft(tb testing.TB, inodes []uint64) {
	tb.Helper()
	held := namespaceHolders("self", inodes)
	assert.Empty(tb, held, "this process still holds the path's namespaces")
	if _, err := exec.LookPath("ip"); err != nil {
		return
	}
	for _, args := range [][]string{{"netns", "list"}, {"-o", "link", "show"}} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(tb, err, "ip %s: %s", strings.Join(args, " "), out)
		assert.NotContains(tb, string(out), "nmx", "ip %s", strings.Join(args, " "))
	}
}

// namespaceHolders lists the /proc entries (a task inside, an open
// descriptor) of the processes proc matches ("self", a pid, "[0-9]*") that
// refer to a namespace of inodes. Only while the namespaces live do the
// numbers name them alone: the kernel gives a freed namespace's number to
// the next one made, by any process (the tests of another package, say).
func namespaceHolders(proc string, inodes []uint64) []string {
	want := make(map[string]bool)
	for _, ino := range inodes {
		want[fmt.Sprintf("net:[%d]", ino)] = true
	}
	var held []string
	for _, pattern := range []string{"/proc/" + proc + "/task/[0-9]*/ns/net", "/proc/" + proc + "/fd/*"} {
		paths, _ := filepath.Glob(pattern)
		for _, path := range paths {
			if target, err := os.Readlink(path); err == nil && want[target] {
				held = append(held, path+" -> "+target)
			}
		}
	}
	return held
}

func TestKernelUDPLossIsTheLinksDrops(t *testing.T) {
	const n = 20_000
	ctx := testContext(t, 60*time.Second)
	p := newKernelTestPath(t, ctx, link.Symmetric(lossyConfig, 1))
	run := udpTally(t, ctx, p, n)
	st := run.stats
	var delivered, dups int
	for _, k := range run.count {
		delivered += k
		dups += k - 1
	}
	distinct := len(run.count)
	assert.Zero(t, st.StackDrops, "neither kernel dropped a packet of its own")
	assert.EqualValues(t, st.Up.Forwarded, delivered, "UDP delivered exactly what the link forwarded")
	assert.EqualValues(t, st.Up.Lost, n-distinct, "the datagrams UDP lost are the link's drops")
	assert.EqualValues(t, st.Up.Duplicated, dups)
	assert.Zero(t, st.Down.Packets, "nothing flowed back: no stray packets from the namespaces")
	lost := 1 - float64(distinct)/n
	pl := lossyConfig.Loss
	assert.InDelta(t, pl, lost, sigmas*math.Sqrt(pl*(1-pl)/n), "UDP lost about 5%%")
	t.Logf("lost %d of %d (%.2f%%), duplicated %d, reordered %d", n-distinct, n, 100*lost, dups, st.Up.Reordered)
}

func TestKernelSeedReplays(t *testing.T) {
	const n = 3_000
	spec := link.Symmetric(lossyConfig, 42)
	tally := func(spec link.Spec) udpRun {
		ctx := testContext(t, 30*time.Second)
		return udpTally(t, ctx, newKernelTestPath(t, ctx, spec), n)
	}
	a, b := tally(spec), tally(spec)
	assert.Equal(t, a.count, b.count, "same seed: the same datagrams lost and duplicated")
	spec.Seed = 43
	assert.NotEqual(t, a.count, tally(spec).count)
}

func TestKernelDelay(t *testing.T) {
	const (
		delay  = 10 * time.Millisecond
		probes = 50
	)
	ctx := testContext(t, 30*time.Second)
	p := newKernelTestPath(t, ctx, link.Symmetric(link.Config{Delay: delay}, 1))
	srv, err := p.Server().ListenPacket(ctx, "udp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(t, err)
	defer srv.Close()
	go func() { // a UDP echo
		buf := make([]byte, 1500)
		for {
			n, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:n], from)
		}
	}()
	c, err := p.Client().Dial(ctx, "udp", srv.LocalAddr().String())
	require.NoError(t, err)
	defer c.Close()
	rtts := make([]time.Duration, 0, probes)
	buf := make([]byte, 64)
	for range probes {
		start := time.Now()
		_, err := c.Write(buf)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		_, err = c.Read(buf)
		require.NoError(t, err)
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	t.Logf("RTT min %v, median %v, max %v", rtts[0], rtts[probes/2], rtts[probes-1])
	// The relay holds each packet until its release time, never less:
	// the round trip is at least both delays. Timers and scheduling only
	// add to it.
	assert.GreaterOrEqual(t, rtts[0], 2*delay)
	assert.Less(t, rtts[probes/2], 2*delay+5*time.Millisecond)
}

func TestKernelTCPLossyIsByteExact(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	assertLossyTransfer(t, ctx, newKernelTestPath(t, ctx, link.Symmetric(lossyConfig, 1)))
}

func TestKernelTCPInfoInBulkResult(t *testing.T) {
	const delay = 5 * time.Millisecond
	ctx := testContext(t, 60*time.Second)
	p := newKernelTestPath(t, ctx, link.Symmetric(link.Config{Loss: 0.02, Delay: delay}, 3))
	cfg := Config{BulkBytes: 2 << 20}.Defaults()
	r, err := runBulk(ctx, transports["tcp"], p, &cfg)
	require.NoError(t, err)
	require.True(t, *r.Verified)
	ts := r.TransportStats
	t.Logf("goodput %.1f Mbit/s; TCP_INFO %v", r.GoodputMbps, ts)
	assert.EqualValues(t, 1500-20-20-12, ts["tcp_snd_mss"], "MTU less IPv4, TCP and timestamp option")
	assert.GreaterOrEqual(t, ts["tcp_min_rtt_us"], uint64(2*delay/time.Microsecond))
	assert.Less(t, ts["tcp_min_rtt_us"], uint64((2*delay+5*time.Millisecond)/time.Microsecond))
	assert.Positive(t, ts["tcp_total_retrans"], "the sender repaired the link's losses")
	assert.Positive(t, ts["tcp_snd_cwnd"])
	assert.Contains(t, ts, "tcp_snd_ssthresh", "a loss set slow start's threshold")
	// The path counts both hosts' retransmissions; the client's are
	// nearly all of them in an upload.
	assert.GreaterOrEqual(t, p.Stats().TCPRetransmits, ts["tcp_total_retrans"])
}

// congestionControl is the TCP_CONGESTION of a kernel TCP conn.
func congestionControl(t *testing.T, c net.Conn) string {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var (
		name string
		gerr error
	)
	require.NoError(t, rc.Control(func(fd uintptr) {
		name, gerr = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
	}))
	require.NoError(t, gerr)
	return name
}

func TestKernelCongestionControl(t *testing.T) {
	for _, cc := range []string{"reno", "cubic"} {
		t.Run(cc, func(t *testing.T) {
			ctx := testContext(t, 10*time.Second)
			p := newKernelTestPath(t, ctx, link.Spec{}, KernelCongestionControl(cc))
			ln, err := p.Server().Listen(ctx, "tcp", net.JoinHostPort(p.ServerHost(), "0"))
			require.NoError(t, err)
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, _ := ln.Accept()
				accepted <- c
			}()
			dialed, err := p.Client().Dial(ctx, "tcp", ln.Addr().String())
			require.NoError(t, err)
			defer dialed.Close()
			acc := <-accepted
			require.NotNil(t, acc)
			defer acc.Close()
			assert.Equal(t, cc, congestionControl(t, dialed), "the dialled socket's")
			assert.Equal(t, cc, congestionControl(t, acc), "the accepted socket's, from its listener")

			// Programs started in the namespace get it as their default
			// where the host allows it as one; reno it always does.
			client, _ := p.Hosts()
			cmd := exec.CommandContext(ctx, "cat", "/proc/sys/net/ipv4/tcp_congestion_control")
			out := strings.TrimSpace(startOutput(t, client, cmd))
			def, err := client.DefaultCongestionControl()
			require.NoError(t, err)
			assert.Equal(t, def, out)
			if cc == "reno" {
				assert.Equal(t, cc, out)
			}
		})
	}
	requireKernel(t)
	_, err := NewKernelPath(t.Context(), link.Spec{}, KernelCongestionControl("no-such-algorithm"))
	assert.ErrorContains(t, err, `congestion control "no-such-algorithm"`)
}

// startOutput starts cmd in host h and returns its standard output.
func startOutput(t *testing.T, h *KernelHost, cmd *exec.Cmd) string {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, h.Start(cmd))
	require.NoError(t, cmd.Wait(), out.String())
	return out.String()
}

func TestKernelStartInHost(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	p := newKernelTestPath(t, ctx, link.Spec{})
	client, server := p.Hosts()
	for _, h := range []*KernelHost{client, server} {
		cmd := exec.CommandContext(ctx, "sh", "-c", `readlink /proc/self/ns/net; echo "$NMX_CLIENT $NMX_SERVER"`)
		out := strings.Fields(startOutput(t, h, cmd))
		require.Len(t, out, 3)
		assert.Equal(t, fmt.Sprintf("net:[%d]", h.ns.inode), out[0], "the command runs in the host's namespace")
		assert.Equal(t, []string{"10.77.0.1", "10.77.0.2"}, out[1:])
	}
	// This process stays where it was.
	self, err := os.Readlink("/proc/thread-self/ns/net")
	require.NoError(t, err)
	assert.NotContains(t, []string{fmt.Sprintf("net:[%d]", client.ns.inode), fmt.Sprintf("net:[%d]", server.ns.inode)}, self)

	before, err := server.Listening()
	require.NoError(t, err)
	pc, err := server.ListenPacket(ctx, "udp", ":0")
	require.NoError(t, err)
	defer pc.Close()
	ln, err := server.Listen(ctx, "tcp", ":0")
	require.NoError(t, err)
	defer ln.Close()
	after, err := server.Listening()
	require.NoError(t, err)
	assert.Equal(t, before+2, after)
	assert.Equal(t, "0.0.0.0", ln.Addr().(*net.TCPAddr).IP.String(), "IPv4 sockets, addresses clients can dial")
}

func TestKernelQUICOverLoss(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	p := newKernelTestPath(t, ctx, link.Symmetric(link.Config{Loss: 0.05, Delay: 5 * time.Millisecond}, 7))
	cfg := Config{Count: 150, Interval: 5 * time.Millisecond}.Defaults()
	r, err := runStream(ctx, transports["quic"], p, &cfg)
	require.NoError(t, err)
	assert.EqualValues(t, 150, r.Delivered, "every message arrived")
	assert.Positive(t, p.Stats().Up.Lost)
	assert.Positive(t, r.TransportStats["packets_lost"], "quic-go saw the loss")
}

func TestKernelBandwidthLimit(t *testing.T) {
	const bandwidth = 10_000_000
	// As on the emulated path: 1448 bytes of goodput in each 1500-byte
	// packet, a 10 ms round trip and a 100-packet queue the receiver's
	// window cannot overflow.
	allowed := float64(bandwidth) / 8 * (1500 - 20 - 20 - 12) / 1500
	spec := link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1)
	spec.Up.Bandwidth, spec.Up.Queue = bandwidth, 100
	ctx := testContext(t, 60*time.Second)
	p := newKernelTestPath(t, ctx, spec)
	tr := tcpTransferWith(t, ctx, p, 2<<20, 1, func(c net.Conn) error {
		return c.(*net.TCPConn).SetReadBuffer(64 << 10)
	})
	require.NoError(t, tr.err)
	require.NoError(t, tr.serverErr)
	require.Equal(t, tr.sent, tr.got)
	goodput := float64(tr.gotN) / tr.elapsed.Seconds()
	st := p.Stats()
	t.Logf("goodput %.0f B/s of %.0f allowed, %v; up %+v; retransmits %d", goodput, allowed, tr.elapsed, st.Up, st.TCPRetransmits)
	assert.LessOrEqual(t, goodput, allowed*1.001, "no faster than the link")
	// The transfer's first round trips are slow start: 2 MiB at the
	// link's rate is 1.7 s, of which they cost a few percent.
	assert.InEpsilon(t, allowed, goodput, 0.08)
}

// TestKernelCancelStopsEverything cancels the path's context with
// goroutines blocked in Accept, Read, Write and ReadFrom, and checks that
// all of them return and that nothing of the path is left.
func TestKernelCancelStopsEverything(t *testing.T) {
	requireKernel(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := NewKernelPath(ctx, link.Symmetric(lossyConfig, 1))
	require.NoError(t, err)
	inodes := p.namespaces()
	waitStopped := blockOnPath(t, ctx, p)
	cancel()
	waitStopped()
	require.NoError(t, p.Close()) // a second Close is harmless
	_, err = p.Client().Dial(context.Background(), "tcp", "10.77.0.2:5001")
	assert.Error(t, err, "dial on a closed path")
	assert.NotZero(t, p.Stats().Up.Packets, "Stats still answers after Close")
	assertNothingLeft(t, inodes)
}

func TestKernelAddressErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	p := newKernelTestPath(t, ctx, link.Spec{})
	assert.Equal(t, "10.77.0.2", p.ServerHost())
	cases := append(refusedAddresses(ctx, p, "10.77.0.1"), refusal{"outside the path", func() error {
		// The client's namespace has no route but to its peer.
		_, err := p.Client().Dial(ctx, "tcp", "192.0.2.1:80")
		return err
	}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Error(t, tc.call()) })
	}
	_, err := NewKernelPath(ctx, link.Spec{Down: link.Config{Jitter: -1}})
	assert.ErrorContains(t, err, "negative")
}

// TestKernelKilledLeavesNothing kills (SIGKILL) a process in the middle
// of a run on a kernel path and checks that nothing of the path outlives
// it: while it ran, it alone held its namespaces, by descriptors alone
// (none of its threads inside, no name in /run/netns, no device outside),
// so they went with it, devices and all, and there is no leftover for a
// later run to clean.
func TestKernelKilledLeavesNothing(t *testing.T) {
	if os.Getenv("NMX_KERNEL_HELPER") == "1" {
		kernelHelper()
		return
	}
	requireKernel(t)
	ctx := testContext(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKernelKilledLeavesNothing$")
	cmd.Env = append(os.Environ(), "NMX_KERNEL_HELPER=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the helper's report")
	var inodes []uint64
	for _, f := range strings.Fields(strings.TrimPrefix(line, "ready")) {
		ino, err := strconv.ParseUint(f, 10, 64)
		require.NoError(t, err, line)
		inodes = append(inodes, ino)
	}
	require.Len(t, inodes, 2, line)
	held := namespaceHolders("[0-9]*", inodes)
	require.Len(t, held, 2, "one descriptor for each namespace")
	for _, h := range held {
		assert.True(t, strings.HasPrefix(h, fmt.Sprintf("/proc/%d/fd/", cmd.Process.Pid)), "held by the helper's descriptors only: %s", h)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	require.Error(t, err, "killed")
	assertNothingLeft(t, inodes)
}

// kernelHelper builds a path with traffic on it, says which namespaces
// it made, and waits to be killed.
func kernelHelper() {
	p, err := NewKernelPath(context.Background(), link.Symmetric(link.Config{Delay: time.Millisecond}, 1))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	pc, err := p.Server().ListenPacket(context.Background(), "udp", "10.77.0.2:9")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer pc.Close()
	c, err := p.Client().Dial(context.Background(), "udp", "10.77.0.2:9")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	go func() { // packets in flight when the kill comes
		for {
			c.Write(make([]byte, 100))
			time.Sleep(time.Millisecond)
		}
	}()
	ns := p.namespaces()
	fmt.Printf("ready %d %d\n", ns[0], ns[1])
	time.Sleep(time.Minute)
	os.Exit(2) // not killed: the parent's test fails on the missing kill
}
