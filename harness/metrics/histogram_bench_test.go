package metrics

import (
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
