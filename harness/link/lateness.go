package link

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Lateness is how long after its release time a relay handed packets
// over: zero for a relay that keeps up, milliseconds when the machine
// starves its goroutines. A figure measured through a late relay is the
// emulator's, not the transport's, and a run says so (see Summary).
//
// It counts into logarithmic buckets, eight per power of two (within 7%
// of the true value), with atomic adds: one writer per direction, any
// number of readers, no lock and no allocation per packet.
type Lateness struct {
	buckets [latenessBuckets]atomic.Uint64
	max     atomic.Int64
}

const (
	subBits         = 3 // eight buckets per power of two
	subBuckets      = 1 << subBits
	latenessBuckets = subBuckets + (63-subBits)*subBuckets
)

// bucketOf is the bucket of v ns: exact below subBuckets, then eight per
// power of two.
func bucketOf(v int64) int {
	if v < subBuckets {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 1 // v's top bit
	m := int(v>>(e-subBits)) & (subBuckets - 1)
	return subBuckets + (e-subBits)*subBuckets + m
}

// bucketMid is the middle of bucket i, in ns.
func bucketMid(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	e := (i-subBuckets)/subBuckets + subBits
	m := int64((i - subBuckets) % subBuckets)
	lo := (subBuckets | m) << (e - subBits)
	width := int64(1) << (e - subBits)
	return lo + width/2
}

// record counts one packet handed over d after its release time.
func (l *Lateness) record(d time.Duration) {
	l.buckets[bucketOf(int64(d))].Add(1)
	for {
		m := l.max.Load()
		if int64(d) <= m || l.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Merge adds o's counts to l (a run's two directions into one figure).
func (l *Lateness) Merge(o *Lateness) {
	for i := range o.buckets {
		if n := o.buckets[i].Load(); n > 0 {
			l.buckets[i].Add(n)
		}
	}
	if m := o.max.Load(); m > l.max.Load() {
		l.max.Store(m)
	}
}

// LatenessSummary is a lateness distribution in milliseconds.
type LatenessSummary struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	// N is the packets counted.
	N uint64 `json:"n"`
}

// Summary reports the distribution so far; zeros where nothing was
// delivered.
func (l *Lateness) Summary() LatenessSummary {
	var counts [latenessBuckets]uint64
	var n uint64
	for i := range l.buckets {
		counts[i] = l.buckets[i].Load()
		n += counts[i]
	}
	if n == 0 {
		return LatenessSummary{}
	}
	maxNs := l.max.Load()
	q := func(p float64) float64 {
		rank := uint64(p*float64(n) + 0.999999) // nearest rank
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				return ms(min(bucketMid(i), maxNs))
			}
		}
		return ms(maxNs)
	}
	return LatenessSummary{P50: q(0.5), P99: q(0.99), Max: ms(maxNs), N: n}
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }
