package metrics

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"netmatrix/results"
)

// Histogram records latencies in nanoseconds, from 0 to 100 s, with three
// significant digits at every magnitude: below 2048 ns every nanosecond
// has a bucket of its own, above it a bucket is at most 1/1024 of its
// value wide (an HdrHistogram, hdrhistogram.org, with three significant
// value digits). So a 150 ns figure is 150 ns, 20 µs is told
// apart from 20.1 µs, and a 3 s retransmission timeout still fits.
//
// Percentiles are the value of the nearest-rank sample's bucket, taken
// at the bucket's middle rather than its top edge and kept within the
// smallest and largest sample, which are recorded exactly: a histogram of
// one value reports that value, one of zeros reports zero. The maximum
// and the mean are the samples' own. It costs about 230 KB (the buckets
// of 1 ns to 100 s), against 155 KB for 1 µs to 100 s.
type Histogram struct {
	h        *hdrhistogram.Histogram
	n        int64
	min, max int64   // exact, ns; a value past histHighest is kept here
	sum      float64 // exact to float64 rounding, for the mean
}

const (
	histLowest  = 1 // ns
	histHighest = int64(100 * time.Second)
	histDigits  = 3
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histLowest, histHighest, histDigits)}
}

// Record adds one latency. A negative one (a clock stepped back) counts
// as zero; one past 100 s is counted in the top bucket and still sets the
// maximum, so a sample is never silently dropped.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += float64(v)
	_ = h.h.RecordValue(min(v, histHighest))
}

// Count is the number of samples recorded.
func (h *Histogram) Count() int64 { return h.n }

// Summary reports the distribution in milliseconds. An empty histogram
// gives zeros.
func (h *Histogram) Summary() results.Latency {
	if h.n == 0 {
		return results.Latency{}
	}
	bars := h.bars()
	ms := func(v int64) float64 { return float64(v) / float64(time.Millisecond) }
	q := h.quantiles(bars, 50, 90, 99, 99.9)
	return results.Latency{
		P50:  ms(q[0]),
		P90:  ms(q[1]),
		P99:  ms(q[2]),
		P999: ms(q[3]),
		Max:  ms(h.max),
		Mean: h.sum / float64(h.n) / float64(time.Millisecond),
		N:    h.n,
		CDF:  h.cdf(bars, cdfPoints),
	}
}

// bars are the histogram's non-empty buckets in increasing order.
func (h *Histogram) bars() []hdrhistogram.Bar {
	all := h.h.Distribution()
	out := all[:0]
	for _, b := range all {
		if b.Count > 0 {
			out = append(out, b)
		}
	}
	return out
}

// quantiles returns, for each percentile p, the nearest-rank sample's
// value: the bucket holding the ceil(p/100 * n)th smallest sample (at
// least the first), read at the bucket's middle and kept within the exact
// minimum and maximum. The bucket's middle is within half a bucket of any
// sample in it, half the error of its top edge.
func (h *Histogram) quantiles(bars []hdrhistogram.Bar, ps ...float64) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		// The epsilon keeps a product like 99.9% of 1000 = 999.0000001
		// from rounding up to the next rank.
		rank := max(int64(math.Ceil(p*float64(h.n)/100-1e-9)), 1)
		var below int64
		for _, b := range bars {
			if below += b.Count; below >= rank {
				out[i] = min(max(b.From+(b.To-b.From)/2, h.min), h.max)
				break
			}
		}
	}
	return out
}

// cdfPoints bounds the CDF a summary carries: enough for a smooth curve
// on a plot, few enough that a record stays a few kilobytes.
const cdfPoints = 64

// cdf returns the distribution as steps in milliseconds: each non-empty
// bucket's top edge (the exact maximum for the last) with the share of samples at
// or below it. Past maxPoints it is thinned evenly in "nines" (-log10 of
// the share above), the scale the plots draw it on, so the tail keeps as
// many points as the body; the first and last steps always stay.
func (h *Histogram) cdf(bars []hdrhistogram.Bar, maxPoints int) []results.CDFPoint {
	total := float64(h.n)
	if total == 0 {
		return nil
	}
	ms := func(v int64) float64 { return float64(v) / float64(time.Millisecond) }
	pts := make([]results.CDFPoint, 0, len(bars))
	var below int64
	for _, b := range bars {
		below += b.Count
		pts = append(pts, results.CDFPoint{Ms: ms(min(b.To, h.max)), Q: float64(below) / total})
	}
	// A sample past the highest bucket was counted in it; the curve still
	// ends at the sample.
	pts[len(pts)-1].Ms = ms(h.max)
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
