package metrics

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Arrival is one received message: its sequence number, when it was sent
// and when it was delivered to the application.
type Arrival struct {
	Seq     uint64
	Sent    int64 // ns
	Arrived int64 // ns, same clock as Sent
}

// Stream is what a paced one-way flow delivered.
type Stream struct {
	Sent       int64
	Delivered  int64 // unique sequence numbers received (below Sent)
	Lost       int64
	Duplicates int64
	// Reordered counts RFC 4737 reordered packets: those that arrived
	// with a sequence number below the next expected one.
	Reordered int64
	// MaxExtent is the largest RFC 4737 reordering extent: how many
	// arrivals earlier the first later-sent packet came.
	MaxExtent int64
	// Jitter is RFC 3550's interarrival jitter estimate at the end.
	Jitter time.Duration
	// Delay is the one-way delay of each delivered message.
	Delay *Histogram
	// HOL is each delivered message's head-of-line delay (see HOLDelays).
	HOL *Histogram
}

// AnalyzeStream computes the stream metrics of a flow of sent messages
// (sequence numbers 0..sent-1) from its arrivals, in the order they were
// delivered. interval is the sender's pacing, which sets how close two
// deliveries must be to count as one release (see HOLDelays).
func AnalyzeStream(sent int64, arrivals []Arrival, interval time.Duration) Stream {
	s := Stream{Sent: sent, Delay: NewHistogram(), HOL: NewHistogram()}
	seen := make(map[uint64]bool, len(arrivals))
	unique := make([]Arrival, 0, len(arrivals))
	for _, a := range arrivals {
		if seen[a.Seq] {
			s.Duplicates++
			continue
		}
		seen[a.Seq] = true
		unique = append(unique, a)
		s.Delay.Record(time.Duration(a.Arrived - a.Sent))
		if a.Seq < uint64(sent) {
			s.Delivered++
		}
	}
	s.Lost = sent - s.Delivered
	s.Reordered, s.MaxExtent = Reordering(seqs(unique))
	s.Jitter = Jitter(unique)
	for _, h := range HOLDelays(unique, interval) {
		s.HOL.Record(h)
	}
	return s
}

func seqs(as []Arrival) []uint64 {
	out := make([]uint64, len(as))
	for i, a := range as {
		out[i] = a.Seq
	}
	return out
}

// Jitter returns RFC 3550's interarrival jitter (section 6.4.1) over
// arrivals in delivery order: for each pair of consecutive arrivals,
// D = (R_j - R_i) - (S_j - S_i), and J += (|D| - J) / 16.
func Jitter(arrivals []Arrival) time.Duration {
	var j float64
	for k := 1; k < len(arrivals); k++ {
		prev, cur := arrivals[k-1], arrivals[k]
		d := float64((cur.Arrived - prev.Arrived) - (cur.Sent - prev.Sent))
		if d < 0 {
			d = -d
		}
		j += (d - j) / 16
	}
	return time.Duration(j)
}

// Reordering applies RFC 4737's singleton reordering (section 3) to
// sequence numbers in arrival order, duplicates already removed. A packet
// is reordered when its number is below NextExp, one more than the highest
// number seen so far. Its extent (section 4.2) is how many arrivals ago
// the first packet with a higher number came. It returns the count of
// reordered packets and the largest extent.
func Reordering(arrivalSeqs []uint64) (reordered, maxExtent int64) {
	// highest[i] is the largest sequence number among the first i+1
	// arrivals: non-decreasing, so the first arrival above s is found by
	// binary search.
	highest := make([]uint64, len(arrivalSeqs))
	var nextExp uint64
	for i, s := range arrivalSeqs {
		if s < nextExp {
			reordered++
			j := sort.Search(i, func(k int) bool { return highest[k] > s })
			maxExtent = max(maxExtent, int64(i-j))
		} else {
			nextExp = s + 1
		}
		highest[i] = max(s, prevOr0(highest, i))
	}
	return reordered, maxExtent
}

func prevOr0(h []uint64, i int) uint64 {
	if i == 0 {
		return 0
	}
	return h[i-1]
}

// HOLDelays estimates how long each delivered message waited behind an
// earlier one: head-of-line blocking as the application sees it.
//
// An in-order transport that gets a message late (lost, then
// retransmitted) holds back every later message until it arrives, then
// releases them together. So, walking the messages in send order, a
// release is a run of consecutive sequence numbers each delivered less
// than half an interval after its predecessor (never before it). A run
// whose first message came more than half an interval later than the
// flow's median one-way delay was held up: each later message of the run
// waited behind it, and its head-of-line delay is the part of its own
// one-way delay above the median. The first message waited for itself,
// not for another, and gets zero; so does every message of a run that
// started on time, which keeps jitter under half an interval from being
// mistaken for blocking. A transport that delivers out of order never
// releases a message behind a later-delivered predecessor, so it shows
// none. Every delivered message gets a value, so percentiles are over all
// deliveries.
//
// arrivals are unique, in delivery order; the result is in the same order.
//
// It is a guess from the application's side, and issue #11 shows it
// wrong both ways: bunched in-order arrivals (a link's order-keeping
// jitter, a stalled scheduler) look like releases, and when most messages
// wait the median it subtracts is inflated by the waits. HeadOfLine
// measures the same delay exactly from the byte ranges the transport
// received; where those cannot be observed, report no figure rather than
// this one.
func HOLDelays(arrivals []Arrival, interval time.Duration) []time.Duration {
	out := make([]time.Duration, len(arrivals))
	if len(arrivals) == 0 {
		return out
	}
	owd := func(a Arrival) int64 { return a.Arrived - a.Sent }
	delays := make([]int64, len(arrivals))
	order := make([]int, len(arrivals)) // indices into arrivals, by sequence number
	for i, a := range arrivals {
		delays[i] = owd(a)
		order[i] = i
	}
	slices.Sort(delays)
	median := delays[len(delays)/2]
	half := int64(interval / 2)
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(arrivals[x].Seq, arrivals[y].Seq) })

	heldUp := false // whether the current run started late
	for k, i := range order {
		a := arrivals[i]
		if k > 0 {
			p := arrivals[order[k-1]]
			gap := a.Arrived - p.Arrived
			if p.Seq+1 == a.Seq && gap >= 0 && gap < half {
				if heldUp {
					out[i] = time.Duration(max(0, owd(a)-median))
				}
				continue
			}
		}
		heldUp = owd(a)-median > half
	}
	return out
}
