package tcpflow

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Each case adds ranges in order and says whether each was all there
// before, and what the set holds at the end.
func TestRanges(t *testing.T) {
	type add struct {
		lo, hi int64
		had    bool
	}
	for _, tc := range []struct {
		name string
		adds []add
		want []span
	}{
		{"in order", []add{{0, 10, false}, {10, 20, false}, {20, 25, false}}, []span{{0, 25}}},
		{"a repeat of the last", []add{{0, 10, false}, {10, 20, false}, {10, 20, true}, {12, 15, true}}, []span{{0, 20}}},
		{"empty ranges are had", []add{{5, 5, true}, {7, 3, true}}, nil},
		// A hole, then data after it, then the hole filled.
		{"a hole filled", []add{{0, 10, false}, {20, 30, false}, {10, 20, false}}, []span{{0, 30}}},
		{"a repeat below a hole", []add{{0, 10, false}, {20, 30, false}, {0, 10, true}, {2, 8, true}}, []span{{0, 10}, {20, 30}}},
		// Overlapping a span and the hole after it: new bytes, so not had.
		{"part old, part new", []add{{0, 10, false}, {20, 30, false}, {5, 15, false}}, []span{{0, 15}, {20, 30}}},
		// A repacketised retransmission covering two spans and the hole
		// between them.
		{"across a hole", []add{{0, 10, false}, {20, 30, false}, {40, 50, false}, {5, 45, false}}, []span{{0, 50}}},
		{"touching spans merge", []add{{0, 10, false}, {20, 30, false}, {10, 20, false}, {0, 30, true}}, []span{{0, 30}}},
		{"before everything", []add{{100, 200, false}, {0, 50, false}, {0, 50, true}}, []span{{0, 50}, {100, 200}}},
		{"between two holes", []add{{0, 10, false}, {40, 50, false}, {20, 30, false}, {25, 28, true}}, []span{{0, 10}, {20, 30}, {40, 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s ranges
			for _, a := range tc.adds {
				assert.Equal(t, a.had, s.add(a.lo, a.hi), "[%d, %d)", a.lo, a.hi)
			}
			assert.Equal(t, tc.want, s.spans)
		})
	}
}

// Against a byte-by-byte oracle on random ranges: the same answers, and
// spans that are sorted, disjoint and apart.
func TestRangesAgainstAnOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 400
	for range 200 {
		var s ranges
		var have [size]bool
		for range 50 {
			lo := rng.Int64N(size)
			hi := min(lo+rng.Int64N(40), size)
			want := true
			for i := lo; i < hi; i++ {
				want = want && have[i]
				have[i] = true
			}
			assert.Equal(t, want, s.add(lo, hi), "[%d, %d)", lo, hi)
		}
		for i, sp := range s.spans {
			assert.Less(t, sp.lo, sp.hi)
			if i > 0 {
				assert.Greater(t, sp.lo, s.spans[i-1].hi, "spans apart")
			}
			for b := sp.lo; b < sp.hi; b++ {
				assert.True(t, have[b])
			}
		}
		var n int64
		for _, sp := range s.spans {
			n += sp.hi - sp.lo
		}
		var m int64
		for _, h := range have {
			if h {
				m++
			}
		}
		assert.Equal(t, m, n, "the spans hold every byte had, and no other")
	}
}
