//go:build linux

package kernel

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
	"netmatrix/harness/link/linktest"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
	"netmatrix/harness/netpath/pathtest"
	"netmatrix/internal/testutil"
)

// requireKernel skips tb where this process cannot build a kernel path.
func requireKernel(tb testing.TB) {
	tb.Helper()
	if err := Supported(); err != nil {
		tb.Skipf("kernel path: %v (CI runs these tests as root)", err)
	}
}

// newTestPath builds a kernel path that closes when the test ends,
// failed or not, and checks then that nothing of it is left.
func newTestPath(tb testing.TB, ctx context.Context, spec link.Spec, opts ...netpath.Options) *Path {
	tb.Helper()
	requireKernel(tb)
	var o netpath.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	p, err := New(ctx, spec, o)
	require.NoError(tb, err)
	inodes := p.namespaces()
	tb.Cleanup(func() {
		p.Close()
		assertNothingLeft(tb, inodes)
	})
	return p
}

// namespaces are the inode numbers of the path's two namespaces.
func (p *Path) namespaces() []uint64 {
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

func TestUDPLossIsTheLinksDrops(t *testing.T) {
	const n = 20_000
	ctx := pathtest.Context(t, 60*time.Second)
	run := pathtest.UDPTally(t, ctx, newTestPath(t, ctx, link.Symmetric(linktest.Lossy, 1)), n)
	pathtest.AssertUDPLossIsTheLinks(t, run, n)
	assert.Zero(t, run.Stats.Down.Packets, "nothing flowed back: no stray packets from the namespaces")
}

func TestSeedReplays(t *testing.T) {
	const n = 3_000
	spec := link.Symmetric(linktest.Lossy, 42)
	tally := func(spec link.Spec) pathtest.UDPRun {
		ctx := pathtest.Context(t, 30*time.Second)
		return pathtest.UDPTally(t, ctx, newTestPath(t, ctx, spec), n)
	}
	a, b := tally(spec), tally(spec)
	assert.Equal(t, a.Count, b.Count, "same seed: the same datagrams lost and duplicated")
	spec.Seed = 43
	assert.NotEqual(t, a.Count, tally(spec).Count)
}

func TestDelay(t *testing.T) {
	const (
		delay  = 10 * time.Millisecond
		probes = 50
	)
	ctx := pathtest.Context(t, 30*time.Second)
	p := newTestPath(t, ctx, link.Symmetric(link.Config{Delay: delay}, 1))
	srv, err := p.Server().ListenPacket(ctx, "udp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(t, err)
	testutil.EchoPackets(t, srv)
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

func TestTCPLossyIsByteExact(t *testing.T) {
	ctx := pathtest.Context(t, 90*time.Second)
	pathtest.AssertLossyTransfer(t, ctx, newTestPath(t, ctx, link.Symmetric(linktest.Lossy, 1)))
}

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

func TestCongestionControl(t *testing.T) {
	for _, cc := range []string{"reno", "cubic"} {
		t.Run(cc, func(t *testing.T) {
			ctx := pathtest.Context(t, 10*time.Second)
			p := newTestPath(t, ctx, link.Spec{}, netpath.Options{CongestionControl: cc})
			dialed, acc := pathtest.TCPPair(t, ctx, p)
			assert.Equal(t, cc, congestionControl(t, dialed), "the dialled socket's")
			assert.Equal(t, cc, congestionControl(t, acc), "the accepted socket's, from its listener")

			// Programs started in the namespace get it as their default
			// where the host allows it as one; reno it always does.
			client, _ := p.Hosts()
			cmd := exec.CommandContext(ctx, "cat", "/proc/sys/net/ipv4/tcp_congestion_control")
			out := strings.TrimSpace(startOutput(t, client, cmd))
			def, err := client.defaultCongestionControl()
			require.NoError(t, err)
			assert.Equal(t, def, out)
			if cc == "reno" {
				assert.Equal(t, cc, out)
			}
		})
	}
	requireKernel(t)
	_, err := New(t.Context(), link.Spec{}, netpath.Options{CongestionControl: "no-such-algorithm"})
	assert.ErrorContains(t, err, `congestion control "no-such-algorithm"`)
}

// startOutput starts cmd in host h and returns its standard output.
func startOutput(t *testing.T, h *Host, cmd *exec.Cmd) string {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, h.start(cmd))
	require.NoError(t, cmd.Wait(), out.String())
	return out.String()
}

func TestStartInHost(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	client, server := p.Hosts()
	for _, h := range []*Host{client, server} {
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

	before, err := server.listening()
	require.NoError(t, err)
	pc, err := server.ListenPacket(ctx, "udp", ":0")
	require.NoError(t, err)
	defer pc.Close()
	ln, err := server.Listen(ctx, "tcp", ":0")
	require.NoError(t, err)
	defer ln.Close()
	after, err := server.listening()
	require.NoError(t, err)
	assert.Equal(t, before+2, after)
	assert.Equal(t, "0.0.0.0", ln.Addr().(*net.TCPAddr).IP.String(), "IPv4 sockets, addresses clients can dial")
}

func TestBandwidthLimit(t *testing.T) {
	const bandwidth = 10_000_000
	// As on the emulated path: 1448 bytes of goodput in each 1500-byte
	// packet, a 10 ms round trip and a 100-packet queue the receiver's
	// window cannot overflow.
	allowed := float64(bandwidth) / 8 * (1500 - 20 - 20 - 12) / 1500
	spec := link.Symmetric(link.Config{Delay: 5 * time.Millisecond}, 1)
	spec.Up.Bandwidth, spec.Up.Queue = bandwidth, 100
	ctx := pathtest.Context(t, 60*time.Second)
	p := newTestPath(t, ctx, spec)
	tr := pathtest.TCPTransferWith(t, ctx, p, 2<<20, 1, func(c net.Conn) error {
		return c.(*net.TCPConn).SetReadBuffer(64 << 10)
	})
	require.NoError(t, tr.Err)
	require.NoError(t, tr.ServerErr)
	require.Equal(t, tr.Sent, tr.Got)
	goodput := float64(tr.GotN) / tr.Elapsed.Seconds()
	st := pathtest.Stats(t, p)
	t.Logf("goodput %.0f B/s of %.0f allowed, %v; up %+v; retransmits %d", goodput, allowed, tr.Elapsed, st.Up, st.TCPRetransmits)
	assert.LessOrEqual(t, goodput, allowed*1.001, "no faster than the link")
	// The pathtest.Transfer's first round trips are slow start: 2 MiB at the
	// link's rate is 1.7 s, of which they cost a few percent.
	assert.InEpsilon(t, allowed, goodput, 0.08)
}

// TestKernelCancelStopsEverything cancels the path's context with
// goroutines blocked in Accept, Read, Write and ReadFrom, and checks that
// all of them return and that nothing of the path is left.
func TestCancelStopsEverything(t *testing.T) {
	requireKernel(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(ctx, link.Symmetric(linktest.Lossy, 1), netpath.Options{})
	require.NoError(t, err)
	inodes := p.namespaces()
	waitStopped := pathtest.BlockOnPath(t, ctx, p)
	cancel()
	waitStopped()
	require.NoError(t, p.Close()) // a second Close is harmless
	_, err = p.Client().Dial(context.Background(), "tcp", "10.77.0.2:5001")
	assert.Error(t, err, "dial on a closed path")
	assert.NotZero(t, pathtest.Stats(t, p).Up.Packets, "Stats still answers after Close")
	assertNothingLeft(t, inodes)
}

func TestAddressErrors(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	assert.Equal(t, "10.77.0.2", p.ServerHost())
	cases := append(pathtest.RefusedAddresses(ctx, p, "10.77.0.1"), pathtest.Refusal{Name: "outside the path", Call: func() error {
		// The client's namespace has no route but to its peer.
		_, err := p.Client().Dial(ctx, "tcp", "192.0.2.1:80")
		return err
	}})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) { assert.Error(t, tc.Call()) })
	}
	_, err := New(ctx, link.Spec{Down: link.Config{Jitter: -1}}, netpath.Options{})
	assert.ErrorContains(t, err, "negative")
}

// TestKernelKilledLeavesNothing kills (SIGKILL) a process in the middle
// of a run on a kernel path and checks that nothing of the path outlives
// it: while it ran, it alone held its namespaces, by descriptors alone
// (none of its threads inside, no name in /run/netns, no device outside),
// so they went with it, devices and all, and there is no leftover for a
// later run to clean.
func TestKilledLeavesNothing(t *testing.T) {
	if os.Getenv("NMX_KERNEL_HELPER") == "1" {
		kernelHelper()
		return
	}
	requireKernel(t)
	ctx := pathtest.Context(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKilledLeavesNothing$")
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
	p, err := New(context.Background(), link.Symmetric(link.Config{Delay: time.Millisecond}, 1), netpath.Options{})
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

// TestAgreesWithEmulated runs the same link with the same seed on
// both paths. The link model is shared, so UDP, whose datagrams are the
// only packets either stack sends, meets exactly the same fates: the same
// datagrams lost, duplicated and reordered. TCP's packets depend on each
// stack's own choices (window, acknowledgements, retransmissions), so its
// goodput is held to the same order of magnitude only, both as Reno.
func TestAgreesWithEmulated(t *testing.T) {
	requireKernel(t)
	const (
		loss  = 0.02
		delay = 5 * time.Millisecond
		n     = 5_000
		bulk  = 3 << 20
	)
	spec := link.Symmetric(link.Config{Loss: loss, Delay: delay}, 7)
	ctx := pathtest.Context(t, 90*time.Second)

	emu := pathtest.UDPTally(t, ctx, newEmulatedPath(t, ctx, spec), n)
	kern := pathtest.UDPTally(t, ctx, newTestPath(t, ctx, spec), n)
	t.Logf("UDP, %d datagrams: emulated lost %d, kernel lost %d", n, emu.Stats.Up.Lost, kern.Stats.Up.Lost)
	assert.Equal(t, emu.Stats.Up.Lost, kern.Stats.Up.Lost, "the same count lost")
	assert.Equal(t, emu.Count, kern.Count, "the very same datagrams lost")

	et := pathtest.TCPTransfer(t, ctx, newEmulatedPath(t, ctx, spec), bulk, 1)
	kt := pathtest.TCPTransfer(t, ctx, newTestPath(t, ctx, spec), bulk, 1)
	for _, tr := range []pathtest.Transfer{et, kt} {
		assert.NoError(t, tr.Err)
		assert.NoError(t, tr.ServerErr)
		assert.Equal(t, tr.Sent, tr.Got)
	}
	mbps := func(tr pathtest.Transfer) float64 { return float64(tr.GotN) * 8 / tr.Elapsed.Seconds() / 1e6 }
	mathis := float64(1500-40) * 8 / (2 * delay).Seconds() * math.Sqrt(1.5/loss) / 1e6
	t.Logf("TCP Reno, %d MiB: emulated %.1f Mbit/s, kernel %.1f Mbit/s; Mathis et al. predict %.1f", bulk>>20, mbps(et), mbps(kt), mathis)
	ratio := mbps(kt) / mbps(et)
	assert.True(t, ratio > 0.25 && ratio < 4, "goodputs of the same order: kernel/emulated = %.2f", ratio)
}

// newEmulatedPath is the emulated path of spec, closed when the test ends.
func newEmulatedPath(tb testing.TB, ctx context.Context, spec link.Spec) netpath.Path {
	tb.Helper()
	p, err := emulated.New(ctx, spec, pathtest.BulkOptions)
	require.NoError(tb, err)
	tb.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkTCP measures bulk TCP goodput through the path with no
// impairment.
func BenchmarkTCP(b *testing.B) { pathtest.BenchTCPMTUs(b, New) }

// BenchmarkLongFatLink: 1 Gbit/s, 50 ms round trip, 16 MiB buffers.
func BenchmarkLongFatLink(b *testing.B) { pathtest.BenchTCPLongFatLink(b, New) }

// A server program that ends before it listens fails the run at once,
// with the reason, rather than leaving it waiting for the server.
func TestRunServerThatEndsEarly(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	var stderr strings.Builder
	start := time.Now()
	_, err := p.Run(ctx, Programs{Server: "exit 2", Client: "true", Stderr: &stderr})
	require.Error(t, err)
	assert.ErrorContains(t, err, "ended before it listened")
	assert.ErrorContains(t, err, "exit status 2")
	assert.Less(t, time.Since(start), 3*time.Second)
}

// The client's exit status comes back as a shell reports it, and its
// output reaches Stdout.
func TestRunClientStatus(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	var out strings.Builder
	code, err := p.Run(ctx, Programs{Client: `echo "$NMX_SERVER"; exit 3`, Stdout: &out})
	require.NoError(t, err)
	assert.Equal(t, 3, code)
	assert.Equal(t, "10.77.0.2\n", out.String())
	code, err = p.Run(ctx, Programs{Client: `kill -TERM $$`})
	require.NoError(t, err)
	assert.Equal(t, 128+15, code, "a signal's end, as a shell reports it")
}

// -sndbuf and -rcvbuf reach every TCP socket, dialled and accepted, past
// the host's net.core.wmem_max (SO_SNDBUFFORCE) where they ask for more.
func TestSocketBuffers(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	opts := netpath.Options{SendBuffer: 16 << 20, ReceiveBuffer: 64 << 10}
	p := newTestPath(t, ctx, link.Symmetric(link.Config{}, 1), opts)
	pathtest.AssertSocketBuffers(t, ctx, p, opts, pathtest.KernelSocketBuffers)
}
