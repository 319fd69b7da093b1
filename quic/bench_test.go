package quic

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"netmatrix/internal/wire"
)

// BenchmarkBulk sends one stream as fast as loopback takes it and reports
// goodput, with and without the per-packet counters.
//
//	go test -run - -bench Bulk -benchtime 3x ./quic
func BenchmarkBulk(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"traced", Config{}}, {"untraced", Config{NoTrace: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			var got atomic.Int64
			sink := &Sink{Config: tc.cfg, OnBytes: func(c []byte, _ int64) { got.Add(int64(len(c))) }}
			addr := startServer(b, sink.Serve)
			const size = 256 << 20
			b.SetBytes(size)
			start := time.Now()
			for b.Loop() {
				c, err := DialBulk(b.Context(), listen(b), addr, OneStream, &Options{Config: tc.cfg})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.SendBulk(b.Context(), Bulk{Limit: size}); err != nil {
					b.Fatal(err)
				}
				if err := c.Finish(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(got.Load())*8/time.Since(start).Seconds()/1e6, "Mbit/s")
		})
	}
}

// BenchmarkEchoRTT is one 160-byte message in flight at a time, in each
// shape, on loopback; besides the mean (ns/op) it reports the median and
// the 99th percentile round trip.
//
//	go test -run - -bench EchoRTT -benchtime 2s ./quic
func BenchmarkEchoRTT(b *testing.B) {
	addr := startServer(b, (&EchoServer{}).Serve)
	for _, shape := range shapes {
		b.Run(shape.String(), func(b *testing.B) {
			c := dialTB(b, DialEcho, addr, shape, nil)
			msg, in := make([]byte, 160), make([]byte, 160)
			c.SetReadDeadline(time.Now().Add(time.Minute))
			var rtts []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				wire.PutBulkDatagram(msg, uint64(i), wire.Now())
				if err := c.WriteMsg(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := c.ReadMsg(in); err != nil {
					b.Fatal(err)
				}
				rtts = append(rtts, time.Since(start))
			}
			slices.Sort(rtts)
			us := func(q float64) float64 { return float64(rtts[int(q*float64(len(rtts)-1))]) / 1e3 }
			b.ReportMetric(us(0.5), "p50-µs")
			b.ReportMetric(us(0.99), "p99-µs")
		})
	}
}
