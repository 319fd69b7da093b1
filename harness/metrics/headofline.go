package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ByteArrival is one arrival of a byte range of a stream at the receiving
// host's transport: the payload of a TCP segment the link delivered, the
// data of a QUIC STREAM frame the connection received. A retransmission
// is an arrival too, of bytes that may have come before.
type ByteArrival struct {
	At     int64 // ns; any clock, the same for every arrival of the stream
	Offset int64 // stream offset of the range's first byte
	Length int64 // bytes in the range
}

// Framing says where fixed-size messages sit on a byte stream: message k
// occupies stream bytes [Start + k*Size, Start + (k+1)*Size).
//
// On netmatrix's message flows (tcp.DialMessages, the quic one-stream
// shape) the stream starts with one byte naming the flow, and each
// message goes out length-prefixed (wire.WriteFrame), so Start is 1 and
// Size is wire.FramePrefixLen plus the message size.
type Framing struct {
	// Start is the stream offset of message 0. The bytes before it (a
	// preamble) must arrive too before any message can be delivered.
	Start int64
	// Size is the framed size of every message, length prefix included.
	Size int64
}

// MessageTimes is when the receiving transport had one message of an
// ordered byte stream.
type MessageTimes struct {
	// Own is T_k: when every byte of the message itself had arrived (for
	// each byte its first arrival; the latest of those). Valid if Complete.
	Own      int64
	Complete bool
	// InOrder is C_k: when every byte from the start of the stream to the
	// end of the message had arrived, so that an in-order transport could
	// hand the message over. Valid if Deliverable, which implies Complete.
	InOrder     int64
	Deliverable bool
}

// HOL returns the message's head-of-line delay, C_k - T_k, and whether it
// has one: a message the transport never had in order has none.
func (m MessageTimes) HOL() (time.Duration, bool) {
	if !m.Deliverable {
		return 0, false
	}
	return time.Duration(m.InOrder - m.Own), true
}

// errFraming reports a Framing no stream can have.
var errFraming = errors.New("metrics: head-of-line: bad framing")

// HeadOfLine computes when the receiving transport of an ordered byte
// stream had each of count messages laid out by f, from the log of byte
// ranges that reached it.
//
// Head-of-line delay of message k is C_k - T_k (see MessageTimes): how
// long its bytes, all there, waited for earlier bytes of the stream. It
// is the delay RFC 9000 section 2.2 and RFC 9293 section 3.10.7.4 imply
// when they have a receiver buffer out-of-order data and deliver it
// in order. It is zero whenever bytes arrive in stream order, however
// jittered or bunched (the link's order-keeping jitter, a stalled
// scheduler), and under loss it is exactly the wait for the repair,
// with no baseline taken from the transport's own delays. The message
// that was itself late gets zero: it waited for its own bytes.
//
// arrivals may be in any order and may overlap, repeat (a
// retransmission of bytes already there: the first arrival counts) or
// split messages anywhere; bytes past the last message are ignored. A
// message with bytes that never arrived is not Complete, and neither it
// nor any later message is Deliverable.
func HeadOfLine(arrivals []ByteArrival, f Framing, count int) ([]MessageTimes, error) {
	if f.Start < 0 || f.Size <= 0 || count < 0 {
		return nil, fmt.Errorf("%w: start %d, size %d, %d messages", errFraming, f.Start, f.Size, count)
	}
	end := f.Start + int64(count)*f.Size
	if count > 0 && (end-f.Start)/int64(count) != f.Size {
		return nil, fmt.Errorf("%w: %d messages of %d bytes overflow", errFraming, count, f.Size)
	}
	byTime := slices.Clone(arrivals)
	slices.SortStableFunc(byTime, func(a, b ByteArrival) int { return cmp.Compare(a.At, b.At) })

	c := newCoverage(f, count)
	for _, a := range byTime {
		lo := max(a.Offset, 0)
		hi := min(a.Offset+max(a.Length, 0), end)
		if lo < hi {
			c.cover(lo, hi, a.At)
		}
	}
	return c.messageTimes(), nil
}

// HOLHistogram records the head-of-line delay of every message that has
// one.
func HOLHistogram(msgs []MessageTimes) *Histogram {
	h := NewHistogram()
	for _, m := range msgs {
		if d, ok := m.HOL(); ok {
			h.Record(d)
		}
	}
	return h
}

// span is a half-open range of stream offsets [lo, hi).
type span struct{ lo, hi int64 }

// coverage tracks which bytes of [0, end) have arrived, fed arrivals in
// time order: each byte is credited once, at its first arrival. It keeps
// the gaps, not the bytes, so its size follows the holes in the stream
// (a few, each a loss being repaired), not its length.
type coverage struct {
	f    Framing
	gaps []span // bytes not yet arrived, sorted, disjoint

	preambleMissing int64 // bytes before f.Start not yet arrived
	preambleAt      int64 // when the last of them came
	missing         []int64
	msgs            []MessageTimes
}

func newCoverage(f Framing, count int) *coverage {
	c := &coverage{
		f:               f,
		preambleMissing: f.Start,
		missing:         make([]int64, count),
		msgs:            make([]MessageTimes, count),
	}
	for k := range c.missing {
		c.missing[k] = f.Size
	}
	if end := f.Start + int64(count)*f.Size; end > 0 {
		c.gaps = []span{{0, end}}
	}
	return c
}

// cover marks [lo, hi) arrived at t, crediting the bytes that were still
// missing.
func (c *coverage) cover(lo, hi, t int64) {
	// The first gap that ends after lo, then every gap that starts
	// before hi, loses its part inside [lo, hi).
	i, _ := slices.BinarySearchFunc(c.gaps, lo, func(g span, off int64) int { return cmp.Compare(g.hi, off+1) })
	j := i
	// What is left of the gaps touched: at most a piece of the first
	// below lo and a piece of the last above hi.
	var rest [2]span
	kept := rest[:0]
	for ; j < len(c.gaps) && c.gaps[j].lo < hi; j++ {
		g := c.gaps[j]
		c.credit(max(g.lo, lo), min(g.hi, hi), t)
		if g.lo < lo {
			kept = append(kept, span{g.lo, lo})
		}
		if g.hi > hi {
			kept = append(kept, span{hi, g.hi})
		}
	}
	if i == j {
		return // all there already: a duplicate
	}
	c.gaps = slices.Replace(c.gaps, i, j, kept...)
}

// credit counts [lo, hi), newly arrived at t, against the preamble and
// the messages it overlaps.
func (c *coverage) credit(lo, hi, t int64) {
	if lo < c.f.Start {
		if c.preambleMissing -= min(hi, c.f.Start) - lo; c.preambleMissing == 0 {
			c.preambleAt = t
		}
		lo = c.f.Start
	}
	for lo < hi {
		k := (lo - c.f.Start) / c.f.Size
		msgEnd := c.f.Start + (k+1)*c.f.Size
		n := min(hi, msgEnd) - lo
		if c.missing[k] -= n; c.missing[k] == 0 {
			c.msgs[k].Own, c.msgs[k].Complete = t, true
		}
		lo += n
	}
}

// messageTimes derives C_k: the preamble's arrival and the latest T_j of
// messages 0..k, as long as all of them are complete.
func (c *coverage) messageTimes() []MessageTimes {
	if c.preambleMissing > 0 {
		return c.msgs
	}
	ready := c.preambleAt // with no preamble, any T_0 is later
	for k := range c.msgs {
		m := &c.msgs[k]
		if !m.Complete {
			break
		}
		if k == 0 && c.f.Start == 0 {
			ready = m.Own
		}
		ready = max(ready, m.Own)
		m.InOrder, m.Deliverable = ready, true
	}
	return c.msgs
}
