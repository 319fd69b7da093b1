package metrics

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkHistogramRecord is the cost of one sample, on the path of
// every message; BenchmarkHistogramSummary the cost of reporting, once a
// run, over 10 000 samples spread from 1 µs to 1 s.
func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i%1_000_000) * time.Microsecond)
	}
}

func BenchmarkHistogramSummary(b *testing.B) {
	h := NewHistogram()
	for i := range 10_000 {
		h.Record(time.Duration(1+i*i) * 10 * time.Nanosecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Summary()
	}
}

func BenchmarkNewHistogram(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewHistogram()
	}
}

// BenchmarkHeadOfLine is a run's analysis: 100 000 messages of 204 bytes
// in 1448-byte segments, 1% lost and repaired 50 segments later.
func BenchmarkHeadOfLine(b *testing.B) {
	const n, size, mss = 100_000, 204, 1448
	rng := rand.New(rand.NewPCG(1, 1))
	var log []ByteArrival
	for off, t := int64(0), int64(0); off < n*size; off, t = off+mss, t+1000 {
		at := t
		if rng.IntN(100) == 0 {
			at += 50_000
		}
		log = append(log, ByteArrival{At: at, Offset: off, Length: mss})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HeadOfLine(log, Framing{Size: size}, n); err != nil {
			b.Fatal(err)
		}
	}
}
