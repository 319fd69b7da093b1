package link

import "time"

// held is a packet waiting in the relay for its release time.
type held struct {
	at  time.Duration
	seq uint64 // ties keep arrival order, so equal times never reorder
	p   Packet
}

func (a held) before(b held) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// timeQueue is a binary min-heap of held packets by release time. It is
// written out rather than built on container/heap so pushing a packet
// does not box it in an interface (an allocation per packet).
type timeQueue struct{ h []held }

func (q *timeQueue) Len() int    { return len(q.h) }
func (q *timeQueue) peek() held  { return q.h[0] }
func (q *timeQueue) empty() bool { return len(q.h) == 0 }

func (q *timeQueue) push(x held) {
	q.h = append(q.h, x)
	i := len(q.h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q.h[i].before(q.h[parent]) {
			break
		}
		q.h[i], q.h[parent] = q.h[parent], q.h[i]
		i = parent
	}
}

func (q *timeQueue) pop() held {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = held{} // drop the reference for the GC
	q.h = q.h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q.h) && q.h[l].before(q.h[m]) {
			m = l
		}
		if r < len(q.h) && q.h[r].before(q.h[m]) {
			m = r
		}
		if m == i {
			return top
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
}
