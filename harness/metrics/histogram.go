package metrics

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"netmatrix/results"
)

// Histogram records latencies from 1 µs to 100 s with three significant
// digits: a 20 µs loopback RTT is told apart from 20.1 µs, and a 3 s
// retransmission timeout still fits.
// Zero is kept apart: it is a common value (no head-of-line delay, say)
// that an HDR histogram cannot tell from its lowest bucket.
type Histogram struct {
	h     *hdrhistogram.Histogram
	zeros int64
}

const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(100 * time.Second)
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histLowest, histHighest, 3)}
}

// Record adds one latency. Values outside the range are clamped to it, so
// a sample is never silently dropped.
func (h *Histogram) Record(d time.Duration) {
	if d <= 0 {
		h.zeros++
		return
	}
	v := min(max(int64(d), histLowest), histHighest)
	_ = h.h.RecordValue(v)
}

// Count is the number of samples recorded.
func (h *Histogram) Count() int64 { return h.h.TotalCount() + h.zeros }

// quantile returns the value below which q percent of samples fall.
func (h *Histogram) quantile(q float64) int64 {
	total := h.Count()
	below := q / 100 * float64(total)
	if below <= float64(h.zeros) {
		return 0
	}
	rest := float64(h.h.TotalCount())
	return h.h.ValueAtQuantile(100 * (below - float64(h.zeros)) / rest)
}

// Summary reports the distribution in milliseconds. An empty histogram
// gives zeros.
func (h *Histogram) Summary() results.Latency {
	n := h.Count()
	if n == 0 {
		return results.Latency{}
	}
	ms := func(v int64) float64 { return float64(v) / float64(time.Millisecond) }
	return results.Latency{
		P50:  ms(h.quantile(50)),
		P90:  ms(h.quantile(90)),
		P99:  ms(h.quantile(99)),
		P999: ms(h.quantile(99.9)),
		Max:  ms(h.h.Max()),
		Mean: h.h.Mean() * float64(h.h.TotalCount()) / float64(n) / float64(time.Millisecond),
		N:    n,
	}
}
