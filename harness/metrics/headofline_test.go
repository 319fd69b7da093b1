package metrics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noHOL stands for the head-of-line delay of a message the transport
// never had in order: it has none.
const noHOL = -1.0

// seg is an arrival at a time in ms.
func seg(atMs float64, off, n int64) ByteArrival {
	return ByteArrival{At: ms(atMs), Offset: off, Length: n}
}

// holsMs returns each message's head-of-line delay in ms, noHOL where it
// has none.
func holsMs(msgs []MessageTimes) []float64 {
	out := make([]float64, len(msgs))
	for i, m := range msgs {
		d, ok := m.HOL()
		out[i] = noHOL
		if ok {
			out[i] = float64(d) / float64(time.Millisecond)
		}
	}
	return out
}

// Every case is worked by hand. Messages are 10 bytes with no preamble
// unless a case says otherwise, so message k is bytes [10k, 10k+10).
func TestHeadOfLine(t *testing.T) {
	f10 := Framing{Size: 10}
	for _, tc := range []struct {
		name     string
		f        Framing
		count    int
		arrivals []ByteArrival
		want     []float64 // ms, noHOL for none
		wantOwn  []float64 // ms, T_k where the case checks it
	}{
		{
			name: "in order with jitter that keeps order",
			f:    f10, count: 4,
			arrivals: []ByteArrival{seg(100, 0, 10), seg(131, 10, 10), seg(139, 20, 10), seg(175, 30, 10)},
			want:     []float64{0, 0, 0, 0},
			wantOwn:  []float64{100, 131, 139, 175},
		},
		{
			// A stalled relay or scheduler releases four in-order
			// segments at once: bunched, but nothing waited behind
			// another. The old heuristic counted this as blocking.
			name: "bunched in-order arrivals",
			f:    f10, count: 4,
			arrivals: []ByteArrival{seg(100, 0, 10), seg(180, 10, 10), seg(180, 20, 10), seg(180, 30, 10)},
			want:     []float64{0, 0, 0, 0},
		},
		{
			// Message 1 is lost and repaired at 150 ms; 2 and 3 were
			// there at 40 and 60 and wait for it.
			name: "one loss repaired",
			f:    f10, count: 5,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(40, 20, 10), seg(60, 30, 10), seg(150, 10, 10), seg(160, 40, 10)},
			want:     []float64{0, 0, 110, 90, 0},
			wantOwn:  []float64{0, 150, 40, 60, 160},
		},
		{
			name: "a log out of time order is the same log",
			f:    f10, count: 5,
			arrivals: []ByteArrival{seg(160, 40, 10), seg(60, 30, 10), seg(150, 10, 10), seg(0, 0, 10), seg(40, 20, 10)},
			want:     []float64{0, 0, 110, 90, 0},
		},
		{
			// A spurious retransmission of message 1 after it came: the
			// first arrival counts, nothing waited.
			name: "duplicate after the original",
			f:    f10, count: 3,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(20, 10, 10), seg(40, 20, 10), seg(90, 10, 10)},
			want:     []float64{0, 0, 0},
			wantOwn:  []float64{0, 20, 40},
		},
		{
			// The original of message 1 was delayed past its
			// retransmission: the retransmission is the first arrival.
			name: "retransmission overtakes the delayed original",
			f:    f10, count: 3,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(30, 20, 10), seg(70, 10, 10), seg(200, 10, 10)},
			want:     []float64{0, 0, 40},
			wantOwn:  []float64{0, 70, 30},
		},
		{
			// Segments of 7 bytes across 10-byte messages: [0,7) [7,14)
			// [14,21) [21,28) [28,30). The segment [7,14) is lost and
			// repaired at 100: message 0 (bytes 0-9) completes then;
			// message 1 (10-19) needs [7,14) and [14,21), so also at 100;
			// message 2 (20-29) was complete at 40 and waits 60 ms.
			name: "segments that split messages",
			f:    f10, count: 3,
			arrivals: []ByteArrival{seg(0, 0, 7), seg(20, 14, 7), seg(30, 21, 7), seg(40, 28, 2), seg(100, 7, 7)},
			want:     []float64{0, 0, 60},
			wantOwn:  []float64{100, 100, 40},
		},
		{
			// A repair that repacketises: one retransmission carries the
			// lost [10,20) and [20,30), which had come at 30. Message 2's
			// own bytes came at 30; the later copy does not count.
			name: "retransmission overlapping bytes already there",
			f:    f10, count: 4,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(30, 20, 10), seg(45, 30, 10), seg(90, 10, 20)},
			want:     []float64{0, 0, 60, 45},
			wantOwn:  []float64{0, 90, 30, 45},
		},
		{
			// Message 1's bytes come last part first: [15,20) at 10,
			// [12,15) at 30, [10,12) at 50; its own time is the latest.
			name: "a message's bytes in reverse order",
			f:    f10, count: 3,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(10, 15, 5), seg(20, 20, 10), seg(30, 12, 3), seg(50, 10, 2)},
			want:     []float64{0, 0, 30},
			wantOwn:  []float64{0, 50, 20},
		},
		{
			// Message 2 never arrives: 3 and 4 are there but never
			// delivered in order, so none of them has a figure.
			name: "bytes that never arrive",
			f:    f10, count: 5,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(10, 10, 10), seg(30, 30, 10), seg(40, 40, 10)},
			want:     []float64{0, 0, noHOL, noHOL, noHOL},
		},
		{
			// Half of message 1 arrives and the rest never does.
			name: "a partial message",
			f:    f10, count: 2,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(10, 10, 5)},
			want:     []float64{0, noHOL},
		},
		{
			// The flow byte before the messages is lost and repaired at
			// 80: both messages, there at 10 and 20, wait for it.
			name: "a late preamble holds every message",
			f:    Framing{Start: 1, Size: 10}, count: 2,
			arrivals: []ByteArrival{seg(10, 1, 10), seg(20, 11, 10), seg(80, 0, 1)},
			want:     []float64{70, 60},
		},
		{
			name: "a preamble that never arrives",
			f:    Framing{Start: 1, Size: 10}, count: 1,
			arrivals: []ByteArrival{seg(10, 1, 10)},
			want:     []float64{noHOL},
		},
		{
			// Reordering without loss: message 1 comes after 2 and 3.
			name: "reordered by the link",
			f:    f10, count: 4,
			arrivals: []ByteArrival{seg(0, 0, 10), seg(20, 20, 10), seg(25, 30, 10), seg(33, 10, 10)},
			want:     []float64{0, 0, 13, 8},
		},
		{
			// Ranges reaching outside the stream, an empty one (a bare
			// FIN) and one of negative length are clipped or ignored.
			name: "ranges outside the messages",
			f:    f10, count: 2,
			arrivals: []ByteArrival{seg(0, -5, 10), seg(5, 5, 100), seg(1, 0, 0), seg(2, 0, -3)},
			want:     []float64{0, 0},
			wantOwn:  []float64{5, 5},
		},
		{
			name: "more messages counted than sent",
			f:    f10, count: 3,
			arrivals: []ByteArrival{seg(0, 0, 20)},
			want:     []float64{0, 0, noHOL},
		},
		{
			name: "no arrivals",
			f:    f10, count: 2,
			want: []float64{noHOL, noHOL},
		},
		{
			name: "no messages",
			f:    f10, count: 0,
			arrivals: []ByteArrival{seg(0, 0, 10)},
			want:     []float64{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := HeadOfLine(tc.arrivals, tc.f, tc.count)
			require.NoError(t, err)
			assert.Equal(t, tc.want, holsMs(msgs), "head-of-line delay per message, ms")
			for k, own := range tc.wantOwn {
				assert.True(t, msgs[k].Complete, "message %d complete", k)
				assert.Equal(t, ms(own), msgs[k].Own, "T of message %d", k)
			}
		})
	}
}

func TestHeadOfLineRefusesImpossibleFraming(t *testing.T) {
	for _, f := range []Framing{{Size: 0}, {Size: -4}, {Start: -1, Size: 10}} {
		_, err := HeadOfLine(nil, f, 3)
		assert.ErrorIs(t, err, errFraming, "%+v", f)
	}
	_, err := HeadOfLine(nil, Framing{Size: 1 << 40}, 1<<30)
	assert.ErrorIs(t, err, errFraming, "overflow")
	_, err = HeadOfLine(nil, Framing{Size: 10}, -1)
	assert.ErrorIs(t, err, errFraming)
}

// HeadOfLine does not reorder the caller's log.
func TestHeadOfLineLeavesTheLogAlone(t *testing.T) {
	log := []ByteArrival{seg(20, 10, 10), seg(10, 0, 10)}
	_, err := HeadOfLine(log, Framing{Size: 10}, 2)
	require.NoError(t, err)
	assert.Equal(t, []ByteArrival{seg(20, 10, 10), seg(10, 0, 10)}, log)
}

// A differential check against the definition read literally: the first
// arrival time of every single byte, T_k the latest over a message's
// bytes, C_k the latest over every byte up to its end. Random logs of
// overlapping, repeated, split and missing ranges, in random order.
func TestHeadOfLineMatchesTheBytewiseDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	for trial := range 500 {
		f := Framing{Start: rng.Int64N(3), Size: 1 + rng.Int64N(12)}
		count := rng.IntN(8)
		end := f.Start + int64(count)*f.Size
		var log []ByteArrival
		for range rng.IntN(20) {
			off := rng.Int64N(end+4) - 2
			log = append(log, ByteArrival{At: rng.Int64N(50), Offset: off, Length: rng.Int64N(f.Size*2 + 1)})
		}
		got, err := HeadOfLine(log, f, count)
		require.NoError(t, err)
		assert.Equal(t, bytewiseHOL(log, f, count), got, "trial %d: %+v, %d messages, log %v", trial, f, count, log)
	}
}

// bytewiseHOL is the definition, one byte at a time.
func bytewiseHOL(log []ByteArrival, f Framing, count int) []MessageTimes {
	end := f.Start + int64(count)*f.Size
	first := make([]int64, end)
	seen := make([]bool, end)
	for _, a := range log {
		for b := max(a.Offset, 0); b < min(a.Offset+a.Length, end); b++ {
			if !seen[b] || a.At < first[b] {
				first[b], seen[b] = a.At, true
			}
		}
	}
	latest := func(lo, hi int64) (int64, bool) {
		var t int64
		for b := lo; b < hi; b++ {
			if !seen[b] {
				return 0, false
			}
			if b == lo || first[b] > t {
				t = first[b]
			}
		}
		return t, true
	}
	out := make([]MessageTimes, count)
	for k := range out {
		lo := f.Start + int64(k)*f.Size
		out[k].Own, out[k].Complete = latest(lo, lo+f.Size)
		if c, ok := latest(0, lo+f.Size); ok {
			out[k].InOrder, out[k].Deliverable = c, true
		}
	}
	return out
}

// longPath is issue #11's second case: a 300 ms one-way path, messages
// every 20 ms, four of 148 lost and each repaired 700 ms after it would
// have arrived. The 34 messages sent after a lost one arrive on time but
// wait for the repair: 680, 660, ... 20 ms. With 12 messages that wait
// for nothing, the true head-of-line p50 is 320 ms and p99 680 ms.
//
// It returns the byte arrivals (one 10-byte message per segment), and
// what the application saw: each message delivered in order, when the
// repair let it go.
func longPath() ([]ByteArrival, []Arrival) {
	const (
		n        = 148
		interval = 20.0
		oneWay   = 300.0
		repair   = 700.0
	)
	lost := map[int]bool{3: true, 40: true, 77: true, 113: true}
	var bytes []ByteArrival
	var app []Arrival
	release := 0.0
	for k := range n {
		sent := float64(k) * interval
		at := sent + oneWay
		if lost[k] {
			at += repair
		}
		bytes = append(bytes, seg(at, int64(k)*10, 10))
		release = max(release, at)
		app = append(app, Arrival{Seq: uint64(k), Sent: ms(sent), Arrived: ms(release)})
	}
	return bytes, app
}

func TestHeadOfLineOnALongPath(t *testing.T) {
	bytes, app := longPath()
	msgs, err := HeadOfLine(bytes, Framing{Size: 10}, len(app))
	require.NoError(t, err)
	s := HOLHistogram(msgs).Summary()
	assert.Equal(t, int64(148), s.N)
	// Within 10% as the issue asks; in fact within the histogram's three
	// significant digits.
	assert.InEpsilon(t, 320, s.P50, 0.10)
	assert.InEpsilon(t, 680, s.P99, 0.10)
	assert.InEpsilon(t, 320, s.P50, 0.0005)
	assert.InEpsilon(t, 680, s.P99, 0.0005)
	assert.Equal(t, 680.0, s.Max)
}

// Issue #11's first case: no loss, but the link's order-keeping jitter
// and a stall bunch arrivals. Nothing waits behind anything, and the new
// figure is zero where the heuristic saw blocking.
func TestHeadOfLineIsZeroUnderJitterWithoutLoss(t *testing.T) {
	const n = 200
	rng := rand.New(rand.NewPCG(3, 3))
	var bytes []ByteArrival
	var app []Arrival
	prev := 0.0
	for k := range n {
		sent := float64(k) * 20
		// Up to 60 ms of jitter, but never before the previous
		// message (a link that keeps order), and a 90 ms stall that
		// releases messages 50-54 at once.
		at := max(sent+100+rng.Float64()*60, prev)
		if k >= 50 && k < 55 {
			at = 55*20 + 100
		}
		prev = at
		bytes = append(bytes, seg(at, int64(k)*10, 10))
		app = append(app, Arrival{Seq: uint64(k), Sent: ms(sent), Arrived: ms(at)})
	}
	msgs, err := HeadOfLine(bytes, Framing{Size: 10}, n)
	require.NoError(t, err)
	s := HOLHistogram(msgs).Summary()
	assert.Equal(t, int64(n), s.N)
	assert.Zero(t, s.Max)
}
