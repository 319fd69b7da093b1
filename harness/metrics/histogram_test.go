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
