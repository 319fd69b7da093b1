package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummaryCarriesTheCDF(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	h.Record(0) // a zero is kept apart and starts the CDF
	s := h.Summary()
	require.NotEmpty(t, s.CDF)
	assert.LessOrEqual(t, len(s.CDF), cdfPoints)
	assert.Equal(t, 0.0, s.CDF[0].Ms)
	assert.InDelta(t, 1.0/101, s.CDF[0].Q, 1e-9)
	last := s.CDF[len(s.CDF)-1]
	assert.Equal(t, 1.0, last.Q, "the largest sample ends the CDF")
	assert.InDelta(t, s.Max, last.Ms, 1e-9)
	for i := 1; i < len(s.CDF); i++ {
		assert.Greater(t, s.CDF[i].Q, s.CDF[i-1].Q, "shares rise")
		assert.GreaterOrEqual(t, s.CDF[i].Ms, s.CDF[i-1].Ms, "latencies do not fall")
	}
}

// Two thousand distinct values are thinned to cdfPoints, keeping the tail
// the plots draw on a nines scale.
func TestCDFThinsEvenlyInNines(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 2000; i++ {
		h.Record(time.Duration(i) * 7 * time.Microsecond)
	}
	cdf := h.Summary().CDF
	assert.LessOrEqual(t, len(cdf), cdfPoints)
	assert.Greater(t, len(cdf), cdfPoints/2)
	var tail int
	for _, p := range cdf {
		if p.Q > 0.99 {
			tail++
		}
	}
	assert.Greater(t, tail, 5, "the top 1% keeps points of its own")
	assert.Equal(t, 1.0, cdf[len(cdf)-1].Q)
}

func TestEmptyHistogramHasNoCDF(t *testing.T) {
	assert.Nil(t, NewHistogram().Summary().CDF)
}

// Issue #11, item 7: three significant digits at every magnitude from
// nanoseconds up. Each case records a low value, the value under test
// and a high one, so the median is the value itself and neither the exact
// minimum nor the exact maximum can stand in for it: what is checked is
// the histogram's own resolution.
func TestHistogramThreeSignificantDigitsFromNanoseconds(t *testing.T) {
	for _, v := range []time.Duration{
		1, 5, 37, 150, 999, // nanoseconds: below the old 1 µs floor
		1234, 20_000, 20_100, 99_950, 512_300, // microseconds: the old 512 ns buckets
		1_234_567, 81_300_000, 1_204_000_000, 9_990_000_000, 99 * time.Second,
	} {
		t.Run(v.String(), func(t *testing.T) {
			h := NewHistogram()
			h.Record(v / 2)
			h.Record(v)
			h.Record(2 * v)
			got := h.Summary().P50 * float64(time.Millisecond) // ns
			// Three significant digits: within half a unit of the third
			// digit even when the leading digit is 9 (0.05%).
			assert.InEpsilon(t, float64(v), got, 0.0005, "p50 of %v reported as %.6g ns", v, got)
		})
	}
}

func TestHistogramTellsTwentyMicrosecondsFromTwentyPointOne(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	a.Record(20 * time.Microsecond)
	b.Record(20100 * time.Nanosecond)
	sa, sb := a.Summary(), b.Summary()
	assert.Less(t, sa.P50, sb.P50)
	assert.Less(t, sa.Max, sb.Max)
	// One sample is its own median and maximum, exactly.
	assert.Equal(t, 0.020, sa.P50)
	assert.Equal(t, 0.0201, sb.P50)
	assert.Equal(t, 0.0201, sb.Max)
}

func TestHistogramOfZerosIsZero(t *testing.T) {
	h := NewHistogram()
	for range 10 {
		h.Record(0)
	}
	h.Record(-time.Millisecond) // a clock step backwards counts as zero
	s := h.Summary()
	assert.Zero(t, s.P50)
	assert.Zero(t, s.P99)
	assert.Zero(t, s.P999)
	assert.Zero(t, s.Max, "the maximum of zeros is zero, not a bucket edge")
	assert.Zero(t, s.Mean)
	assert.Equal(t, int64(11), s.N)
	require.Len(t, s.CDF, 1)
	assert.Equal(t, 0.0, s.CDF[0].Ms)
	assert.Equal(t, 1.0, s.CDF[0].Q)
}

// The maximum and the mean are the samples' own, not bucket edges or
// bucket midpoints: 1 ms + 1 ns and 3 ms - 1 ns.
func TestHistogramMaxAndMeanAreExact(t *testing.T) {
	h := NewHistogram()
	h.Record(time.Millisecond + 1)
	h.Record(3*time.Millisecond - 1)
	s := h.Summary()
	assert.Equal(t, 2.999999, s.Max)
	assert.Equal(t, 2.0, s.Mean)
	assert.Equal(t, 2.999999, s.CDF[len(s.CDF)-1].Ms)
}

// A value past the highest trackable one is kept (clamped in the
// buckets), and the maximum still reports it.
func TestHistogramKeepsValuesPastItsRange(t *testing.T) {
	h := NewHistogram()
	h.Record(time.Millisecond)
	h.Record(500 * time.Second)
	s := h.Summary()
	assert.Equal(t, int64(2), s.N)
	assert.Equal(t, 500_000.0, s.Max)
	assert.InEpsilon(t, 100_000.0, s.P99, 0.001, "clamped to the highest trackable value")
}

func TestCDFEndsAtTheMaximumPastTheRange(t *testing.T) {
	h := NewHistogram()
	h.Record(time.Millisecond)
	h.Record(500 * time.Second)
	cdf := h.Summary().CDF
	require.Len(t, cdf, 2)
	assert.Equal(t, 500_000.0, cdf[1].Ms)
}
