package tcpflow

import (
	"slices"
	"sort"
)

// ranges is a set of stream offsets kept as sorted, disjoint half-open
// spans that do not touch: the bytes of a connection that have arrived.
// A transfer that loses nothing is one span however long it runs; each
// hole that loss or reordering opens adds one until it is filled, so
// the set stays as small as the holes open at once (within the window).
type ranges struct {
	spans []span
}

type span struct{ lo, hi int64 }

// add puts [lo, hi) in the set and reports whether every byte of it was
// there before. An empty range is in any set.
func (s *ranges) add(lo, hi int64) (had bool) {
	if hi <= lo {
		return true
	}
	// Most data comes in order: it extends the last span, or starts one
	// after it.
	if n := len(s.spans); n == 0 || lo > s.spans[n-1].hi {
		s.spans = append(s.spans, span{lo, hi})
		return false
	} else if last := &s.spans[n-1]; lo >= last.lo {
		had = hi <= last.hi
		last.hi = max(last.hi, hi)
		return had
	}
	// i is the first span that ends at or after lo (touching counts, so
	// that adjacent spans merge); j the first that starts after hi.
	i := sort.Search(len(s.spans), func(k int) bool { return s.spans[k].hi >= lo })
	j := sort.Search(len(s.spans), func(k int) bool { return s.spans[k].lo > hi })
	if i < j && s.spans[i].lo <= lo && hi <= s.spans[i].hi {
		return true
	}
	merged := span{lo, hi}
	if i < j {
		merged.lo = min(lo, s.spans[i].lo)
		merged.hi = max(hi, s.spans[j-1].hi)
	}
	s.spans = slices.Replace(s.spans, i, j, merged)
	return false
}
