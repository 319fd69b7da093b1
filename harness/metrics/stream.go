package metrics

import (
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
}

// AnalyzeStream computes the stream metrics of a flow of sent messages
// (sequence numbers 0..sent-1) from its arrivals, in the order they were
// delivered. Head-of-line delay is not among them: the application's
// arrivals cannot tell a transport holding a message back from a path
// that delivered it late (see HeadOfLine, which needs the transport's own
// arrivals).
func AnalyzeStream(sent int64, arrivals []Arrival) Stream {
	s := Stream{Sent: sent, Delay: NewHistogram()}
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
	return s
}

// MissingAmongLast counts the messages among the last n of a flow of sent
// (sequence numbers sent-n..sent-1) that no arrival delivered: of a
// stream cut short, those still on their way when it stopped.
func MissingAmongLast(sent, n int64, arrivals []Arrival) int64 {
	from := max(sent-n, 0)
	seen := make([]bool, sent-from)
	missing := int64(len(seen))
	for _, a := range arrivals {
		if a.Seq >= uint64(from) && a.Seq < uint64(sent) && !seen[a.Seq-uint64(from)] {
			seen[a.Seq-uint64(from)] = true
			missing--
		}
	}
	return missing
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
