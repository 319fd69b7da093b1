package pathtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
	"netmatrix/harness/netpath"
	"netmatrix/internal/testutil"
	"netmatrix/results"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UDPTally sends n numbered datagrams of 200 bytes up p and counts how
// often each arrived, waiting until the link has delivered all it
// forwarded. It stays at most aheadOfReceiver datagrams ahead of the
// receiver, so a busy machine cannot overflow the server's socket: every
// datagram missing is one the link dropped.
func UDPTally(t *testing.T, ctx context.Context, p netpath.Path, n int) UDPRun {
	t.Helper()
	srv, err := p.Server().ListenPacket(ctx, "udp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, srv.(interface{ SetReadBuffer(int) error }).SetReadBuffer(4<<20))

	run := UDPRun{Sent: n, Count: make(map[uint64]int)}
	var (
		mu       sync.Mutex
		received uint64
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			k, _, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			if k == 200 {
				run.Count[binary.BigEndian.Uint64(buf)]++
			}
			received++
			mu.Unlock()
		}
	}()
	arrived := func() uint64 { mu.Lock(); defer mu.Unlock(); return received }

	c, err := p.Client().Dial(ctx, "udp", srv.LocalAddr().String())
	require.NoError(t, err)
	defer c.Close()
	msg := make([]byte, 200)
	for i := range n {
		binary.BigEndian.PutUint64(msg, uint64(i))
		_, err := c.Write(msg)
		require.NoError(t, err)
		for i%16 == 15 && uint64(i+1) > arrived()+stats(p).Up.Dropped()+aheadOfReceiver {
			time.Sleep(200 * time.Microsecond)
		}
	}
	require.Eventually(t, func() bool {
		st := stats(p)
		return st.Up.Packets == uint64(n) && st.Up.Forwarded+st.Up.Dropped() == uint64(n)+st.Up.Duplicated &&
			arrived() == st.Up.Forwarded
	}, 30*time.Second, 5*time.Millisecond, "the link delivered what it forwarded")
	run.Stats = Stats(t, p)
	srv.Close()
	<-done
	return run
}

// aheadOfReceiver is how many datagrams UDPTally may have sent that the
// receiver has not read. A receive buffer of Linux's default size
// (net.core.rmem_max 212992 bytes, which SetReadBuffer cannot pass
// without root's SO_RCVBUFFORCE) holds about 160 of them, each counted
// at its buffer's true size; a thousand overflowed it on a busy machine.
const aheadOfReceiver = 128

// A Refusal is a call a path must fail.
type Refusal struct {
	Name string
	Call func() error
}

// RefusedAddresses are calls every path refuses: IPv6 (the paths are
// IPv4), names (they have no DNS), no host, the wrong kind of network, an
// address the server does not have (client, the client's), a port nobody
// listens on.
func RefusedAddresses(ctx context.Context, p netpath.Path, client string) []Refusal {
	server := p.ServerHost()
	return []Refusal{
		{"tcp6", func() error { _, err := p.Client().Dial(ctx, "tcp6", "[::1]:80"); return err }},
		{"hostname", func() error { _, err := p.Client().Dial(ctx, "tcp", "localhost:80"); return err }},
		{"ipv6 literal", func() error { _, err := p.Client().Dial(ctx, "udp", "[::1]:80"); return err }},
		{"no host", func() error { _, err := p.Client().Dial(ctx, "tcp", ":80"); return err }},
		{"listen udp", func() error { _, err := p.Server().Listen(ctx, "udp", ":80"); return err }},
		{"listen packet tcp", func() error { _, err := p.Server().ListenPacket(ctx, "tcp", ":80"); return err }},
		{"foreign address", func() error { _, err := p.Server().Listen(ctx, "tcp", client+":80"); return err }},
		{"refused", func() error { _, err := p.Client().Dial(ctx, "tcp", server+":9"); return err }},
	}
}

// AssertLossyTransfer sends 10 MiB over p, whose link is linktest.Lossy
// both ways, and checks that TCP delivered it byte for byte and repaired
// what the link did to it.
func AssertLossyTransfer(t *testing.T, ctx context.Context, p netpath.Path) {
	t.Helper()
	const n = 10 << 20
	tr := TCPTransfer(t, ctx, p, n, 1)
	require.NoError(t, tr.Err)
	require.NoError(t, tr.ServerErr)
	assert.EqualValues(t, n, tr.GotN)
	assert.Equal(t, tr.Sent, tr.Got, "SHA-256 of what was sent and what arrived")

	st := Stats(t, p)
	t.Logf("10 MiB in %v; up %+v; down %+v; retransmits %d; stack drops %d", tr.Elapsed, st.Up, st.Down, st.TCPRetransmits, st.StackDrops)
	assert.Positive(t, st.Up.Lost)
	assert.Positive(t, st.Up.Reordered)
	assert.Positive(t, st.Up.Duplicated)
	assert.Positive(t, st.Down.Lost)
	// Every lost data segment is sent again; TCP may also resend some
	// that were only late.
	assert.GreaterOrEqual(t, st.TCPRetransmits, st.Up.Lost*9/10)
}

// BlockOnPath leaves goroutines blocked on p in Accept (of a connection
// that comes and of one that never does), Read, Write and ReadFrom, on
// ports 5001 to 5003 of the server. What it returns waits for them all to
// return once the caller has stopped the path, and checks that each
// reported an error.
func BlockOnPath(t *testing.T, ctx context.Context, p netpath.Path) (waitStopped func()) {
	t.Helper()
	addr := func(port int) string { return net.JoinHostPort(p.ServerHost(), fmt.Sprint(port)) }
	ln, err := p.Server().Listen(ctx, "tcp", addr(5001))
	require.NoError(t, err)
	idle, err := p.Server().Listen(ctx, "tcp", addr(5002)) // nobody dials
	require.NoError(t, err)
	pc, err := p.Server().ListenPacket(ctx, "udp", addr(5003))
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Go(func() { // a sink that reads until the path goes away
		c, err := ln.Accept()
		if err != nil {
			errs <- err
			return
		}
		_, err = io.Copy(io.Discard, c)
		if err == nil {
			// A kernel peer's close reads as a clean end of stream.
			err = io.EOF
		}
		errs <- err
	})
	wg.Go(func() {
		_, err := idle.Accept()
		errs <- err
	})
	wg.Go(func() {
		_, _, err := pc.ReadFrom(make([]byte, 1500))
		errs <- err
	})
	c, err := p.Client().Dial(ctx, "tcp", addr(5001))
	require.NoError(t, err)
	started := make(chan struct{})
	wg.Go(func() { // a source that writes until the path goes away
		buf := make([]byte, 64<<10)
		for i := 0; ; i++ {
			if _, err := c.Write(buf); err != nil {
				errs <- err
				return
			}
			if i == 4 {
				close(started)
			}
		}
	})
	<-started
	return func() {
		t.Helper()
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			t.Fatal("goroutines blocked on the path did not return after it stopped")
		}
		close(errs)
		for err := range errs {
			assert.Error(t, err)
		}
		for _, cl := range []io.Closer{c, ln, idle, pc} {
			cl.Close()
		}
	}
}

// benchTCP measures bulk TCP goodput over p: one connection, written
// as fast as it takes 256 KiB writes, counted when it arrived. Besides
// bytes per second it reports the link's packets per write and per
// second both ways, the stacks' own drops, and every allocation in the
// process while the flow ran (stacks, relay, benchmark) per packet either
// way, data and ACKs.
func benchTCP(b *testing.B, ctx context.Context, p netpath.Path) {
	ln, err := p.Server().Listen(ctx, "tcp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(b, err)
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- 0
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		got <- n
	}()
	c, err := p.Client().Dial(ctx, "tcp", ln.Addr().String())
	require.NoError(b, err)
	defer c.Close()
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := stats(p)
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	// Goodput counts what arrived: wait for the receiver to drain.
	require.NoError(b, c.(interface{ CloseWrite() error }).CloseWrite())
	n := <-got
	b.StopTimer()
	if want := int64(b.N) * int64(len(buf)); n != want {
		b.Fatalf("received %d bytes, sent %d", n, want)
	}
	runtime.ReadMemStats(&after)
	st := stats(p)
	up, down := st.Up.Forwarded-start.Up.Forwarded, st.Down.Forwarded-start.Down.Forwarded
	b.ReportMetric(float64(up)/float64(b.N), "pkts/op")
	b.ReportMetric(float64(up+down)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(up+down), "allocs/pkt")
	b.ReportMetric(float64(st.StackDrops-start.StackDrops), "drops")
}

// BenchTCPMTUs runs BenchTCP over a clean path that open (a path
// package's New) builds, at the realistic MTU and at the largest.
func BenchTCPMTUs[P netpath.Path](b *testing.B, open func(context.Context, link.Spec, netpath.Options) (P, error)) {
	for _, mtu := range []int{link.DefaultMTU, link.MaxMTU} {
		b.Run("mtu="+strconv.Itoa(mtu), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := open(ctx, link.Symmetric(link.Config{MTU: mtu}, 1), netpath.Options{})
			require.NoError(b, err)
			defer p.Close()
			benchTCP(b, ctx, p)
		})
	}
}

// BenchTCPLongFatLink runs BenchTCP over a long fat link, 1 Gbit/s each
// way with a 50 ms round trip and a 5000-packet queue, with 16 MiB
// socket buffers (a window of about 2.5 times the path's 6.25 MB
// bandwidth-delay product), for each congestion control both stacks
// have. Its figures say whether the path, not the buffers or the CPU,
// bounds a tuned TCP flow: a path that tells the truth carries close to
// 1000 Mbit/s (125 MB/s) here.
func BenchTCPLongFatLink[P netpath.Path](b *testing.B, open func(context.Context, link.Spec, netpath.Options) (P, error)) {
	cfg := link.Config{Bandwidth: 1e9, Delay: 25 * time.Millisecond, Queue: 5000}
	for _, cc := range []string{"reno", "cubic"} {
		b.Run("cc="+cc, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// A bulk flow, as compare runs one (SACK recovery and the sender watched on the
			// emulated path).
			opts := netpath.Options{CongestionControl: cc, SendBuffer: 16 << 20, ReceiveBuffer: 16 << 20}.For(netpath.Use{Bulk: true})
			p, err := open(ctx, link.Symmetric(cfg, 1), opts)
			require.NoError(b, err)
			defer p.Close()
			benchTCP(b, ctx, p)
		})
	}
}

// Stats is p's counters; the paths tested here all see their packets.
func Stats(tb testing.TB, p netpath.Path) results.PathStats {
	tb.Helper()
	st, ok := p.Stats()
	require.True(tb, ok, "the path sees its packets")
	return st
}

// stats is Stats where there is no test to fail (a polling loop).
func stats(p netpath.Path) results.PathStats {
	st, _ := p.Stats()
	return st
}

// UDPRun is what one UDP run saw (UDPTally): how often each sequence
// number arrived, and what the path counted.
type UDPRun struct {
	Sent  int
	Count map[uint64]int
	Stats results.PathStats
}

// AssertUDPLossIsTheLinks checks a run of n datagrams over a
// linktest.Lossy link: UDP delivered exactly what the link forwarded,
// lost exactly what it dropped (about linktest.Lossy.Loss), duplicated
// what it duplicated, and no stack dropped anything itself.
func AssertUDPLossIsTheLinks(t *testing.T, run UDPRun, n int) {
	t.Helper()
	st := run.Stats
	var delivered, dups int
	for _, k := range run.Count {
		delivered += k
		dups += k - 1
	}
	distinct := len(run.Count)
	assert.Zero(t, st.StackDrops, "neither stack dropped a packet of its own")
	assert.EqualValues(t, st.Up.Forwarded, delivered, "UDP delivered exactly what the link forwarded")
	assert.EqualValues(t, st.Up.Lost, n-distinct, "the datagrams UDP lost are the link's drops")
	assert.EqualValues(t, st.Up.Duplicated, dups)
	lost := 1 - float64(distinct)/float64(n)
	p := linktest.Lossy.Loss
	assert.InDelta(t, p, lost, sigmas*math.Sqrt(p*(1-p)/float64(n)), "UDP lost about 5%%")
	t.Logf("lost %d of %d (%.2f%%), duplicated %d, reordered %d", n-distinct, n, 100*lost, dups, st.Up.Reordered)
}

// AssertSocketBuffers checks that p, built with opts, gave a dialled TCP
// socket and an accepted one the buffers opts ask for, doubled as Linux
// keeps them; buffers reads a conn's send and receive buffer sizes as its
// stack keeps them.
func AssertSocketBuffers(t *testing.T, ctx context.Context, p netpath.Path, opts netpath.Options, buffers func(net.Conn) (snd, rcv int)) {
	t.Helper()
	c, s := TCPPair(t, ctx, p)
	for side, conn := range map[string]net.Conn{"dialled": c, "accepted": s} {
		snd, rcv := buffers(conn)
		assert.Equal(t, 2*opts.SendBuffer, snd, "%s: send buffer", side)
		assert.Equal(t, 2*opts.ReceiveBuffer, rcv, "%s: receive buffer", side)
	}
}

// TCPPair connects p's client to a listener on its server and returns
// both ends, closed when the test ends.
func TCPPair(tb testing.TB, ctx context.Context, p netpath.Path) (client, server net.Conn) {
	tb.Helper()
	ln, err := p.Server().Listen(ctx, "tcp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(tb, err)
	defer ln.Close()
	return testutil.ConnPair(tb, ln, func(addr string) (net.Conn, error) {
		return p.Client().Dial(ctx, "tcp", addr)
	})
}
