package link

import (
	"math/rand/v2"
	"time"
)

// RateLimit is a bottleneck: it sends one packet at a time at Bandwidth
// bits per second, holds at most Queue packets (the one on the wire
// included) and drops new ones at the tail when full. A packet leaves
// once its turn comes and its bytes are serialised, so a bulk flow meets
// a real bottleneck and a deep queue shows as delay (bufferbloat). It
// draws nothing.
type RateLimit struct {
	bandwidth int64
	// busy is when the link has sent everything it holds.
	busy time.Duration
	// departs is a ring of the departure times of the packets it holds,
	// oldest first; its length is the queue limit, so it never grows.
	departs    []time.Duration
	head, size int
}

// NewRateLimit returns a rate limit of bandwidth bits per second holding
// up to queue packets (queue <= 0 means DefaultQueue).
func NewRateLimit(bandwidth int64, queue int) *RateLimit {
	if queue <= 0 {
		queue = DefaultQueue
	}
	return &RateLimit{bandwidth: bandwidth, departs: make([]time.Duration, queue)}
}

// Serialization is how long size bytes take on a link of bandwidth bits
// per second.
func Serialization(size int, bandwidth int64) time.Duration {
	return time.Duration(int64(size) * 8 * int64(time.Second) / bandwidth)
}

func (r *RateLimit) Apply(f *Fate, _ *rand.Rand) {
	if f.Drop != DropNone {
		return
	}
	// Forget what has left by now.
	for r.size > 0 && r.departs[r.head] <= f.Arrival {
		r.head = (r.head + 1) % len(r.departs)
		r.size--
	}
	if r.size == len(r.departs) {
		f.Drop = DropQueue
		return
	}
	start := max(f.Release, r.busy)
	r.busy = start + Serialization(f.Size, r.bandwidth)
	r.departs[(r.head+r.size)%len(r.departs)] = r.busy
	r.size++
	f.Release = r.busy
}
