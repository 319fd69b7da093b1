package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func ms(v float64) int64 { return int64(v * float64(time.Millisecond)) }

func TestJitterRFC3550(t *testing.T) {
	// Sent every 20 ms; transit 100, 100, 105, 100 ms. The differences D
	// are 0, +5 and -5 ms: J = 0, then 5/16, then 5/16 + (5 - 5/16)/16.
	arr := []Arrival{
		{Seq: 0, Sent: ms(0), Arrived: ms(100)},
		{Seq: 1, Sent: ms(20), Arrived: ms(120)},
		{Seq: 2, Sent: ms(40), Arrived: ms(145)},
		{Seq: 3, Sent: ms(60), Arrived: ms(160)},
	}
	want := 5.0/16 + (5-5.0/16)/16
	assert.InDelta(t, want, float64(Jitter(arr))/float64(time.Millisecond), 1e-6)

	// A constant transit time is no jitter at all.
	steady := []Arrival{{0, ms(0), ms(30)}, {1, ms(20), ms(50)}, {2, ms(40), ms(70)}}
	assert.Zero(t, Jitter(steady))
}

func TestReorderingRFC4737(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seqs      []uint64
		reordered int64
		extent    int64
	}{
		{"in order", []uint64{0, 1, 2, 3}, 0, 0},
		{"gap is not reordering", []uint64{0, 1, 3, 4}, 0, 0},
		// 1 arrives one place late: NextExp is 3 when it comes, the
		// first later packet (2) came one arrival before.
		{"adjacent swap", []uint64{0, 2, 1, 3}, 1, 1},
		// 2 arrives after 3 and 4: extent 2 (3 came two arrivals earlier).
		{"late by two", []uint64{0, 1, 3, 4, 2, 5}, 1, 2},
		// One early packet makes each of the three it overtook reordered,
		// with extents 1, 2 and 3 (RFC 4737 counts it this way).
		{"one early packet", []uint64{3, 0, 1, 2}, 3, 3},
		{"two late", []uint64{2, 3, 0, 4, 1}, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, e := Reordering(tc.seqs)
			assert.Equal(t, tc.reordered, r, "reordered")
			assert.Equal(t, tc.extent, e, "extent")
		})
	}
}

func TestAnalyzeStreamLossDuplicateGap(t *testing.T) {
	// Six sent; 2 lost, 4 duplicated, 5 arrives before 3.
	iv := 20 * time.Millisecond
	at := func(seq uint64, arrivedMs float64) Arrival {
		return Arrival{Seq: seq, Sent: int64(seq) * int64(iv), Arrived: ms(arrivedMs)}
	}
	arr := []Arrival{at(0, 10), at(1, 30), at(4, 90), at(4, 91), at(5, 110), at(3, 112)}
	s := AnalyzeStream(6, arr)
	assert.Equal(t, int64(6), s.Sent)
	assert.Equal(t, int64(5), s.Delivered)
	assert.Equal(t, int64(1), s.Lost)
	assert.Equal(t, int64(1), s.Duplicates)
	assert.Equal(t, int64(1), s.Reordered)
	assert.Equal(t, int64(2), s.MaxExtent, "3 came two arrivals after 4")
	assert.Equal(t, int64(5), s.Delay.Count(), "duplicates are not delay samples")
}

func TestHistogramSummary(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	s := h.Summary()
	assert.InDelta(t, 0.5, s.P50, 0.001)
	assert.InDelta(t, 0.99, s.P99, 0.001)
	assert.InDelta(t, 1.0, s.Max, 0.001)
	assert.Equal(t, int64(1000), s.N)
	assert.Zero(t, NewHistogram().Summary().P50)

	// Zeros are their own: 98 zeros and two 5 ms samples give a zero
	// median and a 5 ms p99.
	z := NewHistogram()
	for range 98 {
		z.Record(0)
	}
	z.Record(5 * time.Millisecond)
	z.Record(5 * time.Millisecond)
	zs := z.Summary()
	assert.Zero(t, zs.P50)
	assert.Zero(t, zs.P90)
	assert.InDelta(t, 5.0, zs.P99, 0.01)
	assert.InDelta(t, 0.1, zs.Mean, 0.001)
	assert.Equal(t, int64(100), zs.N)
}

// Worked by hand: of 10 sent, 0-5 and 7 and 9 arrived (9 twice), and a
// stray 12 that was never sent. The last four (6-9) miss 6 and 8; the
// last one misses nothing; asking for more than was sent counts every
// gap (6 and 8); none sent, none missing.
func TestMissingAmongLast(t *testing.T) {
	var arr []Arrival
	for _, seq := range []uint64{0, 1, 2, 3, 4, 5, 7, 9, 9, 12} {
		arr = append(arr, Arrival{Seq: seq})
	}
	assert.Equal(t, int64(2), MissingAmongLast(10, 4, arr))
	assert.Equal(t, int64(0), MissingAmongLast(10, 1, arr))
	assert.Equal(t, int64(1), MissingAmongLast(10, 2, arr), "8 of 8-9")
	assert.Equal(t, int64(2), MissingAmongLast(10, 50, arr))
	assert.Equal(t, int64(0), MissingAmongLast(10, 0, arr))
	assert.Equal(t, int64(0), MissingAmongLast(0, 5, nil))
	assert.Equal(t, int64(3), MissingAmongLast(3, 3, nil), "nothing arrived")
}
