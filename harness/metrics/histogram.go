package metrics

import (
	"math"
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
		CDF:  h.cdf(cdfPoints),
	}
}

// cdfPoints bounds the CDF a summary carries: enough for a smooth curve
// on a plot, few enough that a record stays a few kilobytes.
const cdfPoints = 64

// cdf returns the distribution as steps in milliseconds: each recorded
// value with the share of samples at or below it. Past maxPoints it is
// thinned evenly in "nines" (-log10 of the share above), the scale the
// plots draw it on, so the tail keeps as many points as the body; the
// first and last steps always stay.
func (h *Histogram) cdf(maxPoints int) []results.CDFPoint {
	total := float64(h.Count())
	if total == 0 {
		return nil
	}
	ms := func(v int64) float64 { return float64(v) / float64(time.Millisecond) }
	var pts []results.CDFPoint
	if h.zeros > 0 {
		pts = append(pts, results.CDFPoint{Ms: 0, Q: float64(h.zeros) / total})
	}
	below := h.zeros
	for _, b := range h.h.Distribution() {
		if b.Count == 0 {
			continue
		}
		below += b.Count
		pts = append(pts, results.CDFPoint{Ms: ms(min(b.To, h.h.Max())), Q: float64(below) / total})
	}
	if len(pts) <= maxPoints {
		return pts
	}
	nines := func(q float64) float64 { return -math.Log10(max(1-q, 0.5/total)) }
	step := nines(1) / float64(maxPoints-1)
	out := []results.CDFPoint{pts[0]}
	for _, p := range pts[1 : len(pts)-1] {
		if nines(p.Q)-nines(out[len(out)-1].Q) >= step {
			out = append(out, p)
		}
	}
	return append(out, pts[len(pts)-1])
}
