package link

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Buckets cover every value, in order, each within 7% of what it holds.
func TestLatenessBuckets(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 7, 8, 9, 15, 16, 100, 1000, 12345, 1e6, 1e9, 1e12, 1 << 62} {
		i := bucketOf(v)
		assert.GreaterOrEqual(t, i, prev, "%d", v)
		assert.Less(t, i, latenessBuckets, "%d", v)
		prev = i
		if v >= subBuckets {
			assert.InEpsilon(t, float64(v), float64(bucketMid(i)), 0.07, "%d", v)
		} else {
			assert.Equal(t, v, bucketMid(i))
		}
	}
}

// A hand-worked distribution: 98 packets on time, one 2 ms late, one
// 40 ms late.
func TestLatenessSummary(t *testing.T) {
	var l Lateness
	assert.Equal(t, LatenessSummary{}, l.Summary(), "nothing delivered: zeros")
	for range 98 {
		l.record(0)
	}
	l.record(2 * time.Millisecond)
	l.record(40 * time.Millisecond)
	s := l.Summary()
	assert.Equal(t, uint64(100), s.N)
	assert.Zero(t, s.P50)
	assert.InEpsilon(t, 2, s.P99, 0.07)
	assert.Equal(t, 40.0, s.Max)

	var both Lateness
	both.Merge(&l)
	both.Merge(&l)
	assert.Equal(t, uint64(200), both.Summary().N)
	assert.Equal(t, 40.0, both.Summary().Max)
}
