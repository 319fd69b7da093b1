package harness

import (
	"context"
	"io"
	"net"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
)

// BenchmarkEmulatedTCP measures bulk TCP goodput through the emulated
// path with no impairment, at the realistic MTU and at the largest.
func BenchmarkEmulatedTCP(b *testing.B) {
	for _, mtu := range []int{1500, 65535} {
		b.Run("mtu="+itoa(mtu), func(b *testing.B) {
			spec := link.Symmetric(link.Config{MTU: mtu}, 1)
			benchTCPGoodput(b, spec)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func benchTCPGoodput(b *testing.B, spec link.Spec) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTestPath(b, ctx, spec)
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
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := p.Stats()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	// Goodput counts what arrived, so wait for the receiver to drain.
	c.(*EmulatedTCPConn).CloseWrite()
	n := <-got
	b.StopTimer()
	c.Close()
	if want := int64(b.N) * int64(len(buf)); n != want {
		b.Fatalf("received %d bytes, sent %d", n, want)
	}
	runtime.ReadMemStats(&after)
	st := p.Stats()
	// Every allocation in the process while the flow ran (both stacks,
	// gonet, the relay, the benchmark) over every packet either way, data
	// and ACKs.
	pkts := st.Up.Forwarded + st.Down.Forwarded - start.Up.Forwarded - start.Down.Forwarded
	b.ReportMetric(float64(st.Up.Forwarded-start.Up.Forwarded)/float64(b.N), "pkts/op")
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(pkts), "allocs/pkt")
}
