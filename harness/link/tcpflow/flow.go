package tcpflow

import (
	"bytes"
	"net/netip"
	"slices"
	"sync"

	"netmatrix/harness/link"
	"netmatrix/harness/metrics"
)

// A Flow collects the data arrivals of one TCP connection toward a port:
// the first connection whose SYN (without ACK) it sees going to that
// port. Packets of any other connection, in either direction, and
// packets that carry no data (pure ACKs, a bare FIN, RST) are passed
// over. It counts the data segments that repeated bytes already there
// (see Counts); a Flow made by New also keeps every arrival, one made by
// NewCounter only counts. Its methods are safe to call at once from
// several goroutines.
type Flow struct {
	port    uint16
	log     bool // keep every arrival (New), not only the counts
	reverse bool // follow the data from port, not toward it

	mu sync.Mutex
	// src and dst are the connection's ends, the data's sender first,
	// once its SYN has been seen.
	src, dst netip.AddrPort
	anchored bool
	dir      link.Dir // the direction the connection's data goes, once anchored
	// first is the sequence number of the first data byte: the SYN's
	// initial sequence number plus one, as the SYN takes one number.
	first uint32
	// highest is the largest stream offset seen, the reference that
	// unwraps the next 32-bit sequence number.
	highest  int64
	arrivals []metrics.ByteArrival
	early    int // data segments seen before the SYN
	head     [MaxHeaders]byte

	got    ranges // the stream offsets that have arrived
	counts Counts
	// prev is the head of the connection's last packet in the data's
	// direction, data or not: a link's copy of a packet comes right
	// after it, byte for byte.
	prev    [MaxHeaders]byte
	prevLen int
}

// Counts is what a Flow counted of its connection's data segments.
type Counts struct {
	Segments int64 // data segments delivered
	Bytes    int64 // their data bytes, repeats included
	// Repeats are the data segments every byte of which had been
	// delivered before: retransmissions of data that had arrived, and
	// the link's own copies.
	Repeats int64
	// LinkCopies are the repeats that the link made (its duplication):
	// byte-for-byte copies of the packet the connection delivered just
	// before in that direction. A link delivers its copies right behind
	// the original; a retransmission differs from the packet it repeats
	// in its IP identification (Linux numbers a connection's packets) or
	// its TCP timestamp (both stacks send one, in milliseconds), or it
	// would have to follow its original, with nothing between, within
	// the same millisecond.
	LinkCopies int64
}

// Spurious are the sender's retransmissions of data the link had
// delivered (spurious retransmissions, RFC 3522), seen at the receiver:
// the repeats the link did not make. A segment the receiving stack
// dropped after the link delivered it (a full receive buffer: the path's
// stack drops) makes its retransmission look spurious.
func (c Counts) Spurious() int64 { return c.Repeats - c.LinkCopies }

// New returns a Flow that follows the first connection opened toward
// port and keeps every data arrival.
func New(port uint16) *Flow { return &Flow{port: port, log: true} }

// NewCounter returns a Flow that follows the first connection opened
// toward port and only counts (Counts), keeping no arrivals: a bulk
// transfer delivers some 85,000 segments a second, and the set of bytes
// arrived stays as small as the holes in it.
func NewCounter(port uint16) *Flow { return &Flow{port: port} }

// NewReverse returns a Flow that follows the data coming back from port
// on the first connection opened toward it: what a server there sends.
// It anchors on the server's SYN-ACK.
func NewReverse(port uint16) *Flow { return &Flow{port: port, reverse: true, log: true} }

var _ link.Tap = (*Flow)(nil).Tap

// Tap is a link.Tap: set it on the relay (Relay.SetTap) before the
// connection opens. Packets whose bytes the link's packet type does not
// show (see link.Head) are passed over.
func (f *Flow) Tap(d link.Dir, at int64, p link.Packet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	anchored := f.anchored
	if anchored && d != f.dir {
		return // the ACKs coming back: nothing to read in them, so no copy
	}
	if b := link.Head(p, f.head[:]); b != nil {
		f.observe(at, b)
		if !anchored && f.anchored {
			f.dir = d // the SYN (or SYN-ACK) goes the data's way
		}
	}
}

// Observe reads one packet (or its first MaxHeaders bytes) that arrived
// at time at, in ns on any clock the caller keeps for the whole flow.
// What is not an IPv4 TCP packet is passed over.
func (f *Flow) Observe(at int64, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observe(at, b)
}

func (f *Flow) observe(at int64, b []byte) {
	s, err := Parse(b)
	if err != nil {
		return
	}
	if !f.anchored && f.reverse {
		if s.Src.Port() == f.port && s.Flags&(FlagSYN|FlagACK) == FlagSYN|FlagACK {
			f.anchor(at, s, b)
		}
		return
	}
	if !f.anchored {
		switch {
		case s.Dst.Port() != f.port:
		case s.Flags&(FlagSYN|FlagACK) == FlagSYN:
			f.anchor(at, s, b)
		case s.Payload > 0:
			f.early++
		}
		return
	}
	if s.Src != f.src || s.Dst != f.dst {
		return
	}
	f.record(at, s, b)
}

// anchor follows the connection whose SYN (or, reversed, SYN-ACK) s is:
// its data starts one past s's sequence number.
func (f *Flow) anchor(at int64, s Segment, b []byte) {
	f.src, f.dst, f.first, f.anchored = s.Src, s.Dst, s.Seq+1, true
	f.record(at, s, b)
}

// record adds the segment's data, if any, at its stream offset, and
// keeps the packet's head b to tell a copy of it from a retransmission.
func (f *Flow) record(at int64, s Segment, b []byte) {
	b = b[:min(len(b), MaxHeaders)]
	copied := f.prevLen == len(b) && bytes.Equal(f.prev[:f.prevLen], b)
	f.prevLen = copy(f.prev[:], b)
	if s.Payload == 0 {
		return
	}
	seq := s.Seq
	if s.Flags&FlagSYN != 0 {
		seq++ // data on a SYN (TCP Fast Open) starts after it
	}
	// The offset nearest the highest seen that has these low 32 bits:
	// a retransmission lies a little below it, new data a little above,
	// both far closer than the 2 GiB either way at which it would be
	// ambiguous (RFC 9293's windows are at most 1 GiB).
	rel := seq - f.first
	off := f.highest + int64(int32(rel-uint32(f.highest)))
	f.highest = max(f.highest, off+int64(s.Payload))
	f.counts.Segments++
	f.counts.Bytes += int64(s.Payload)
	if f.got.add(off, off+int64(s.Payload)) {
		f.counts.Repeats++
		if copied {
			f.counts.LinkCopies++
		}
	}
	if f.log {
		f.arrivals = append(f.arrivals, metrics.ByteArrival{At: at, Offset: off, Length: int64(s.Payload)})
	}
}

// Counts returns what the flow counted so far.
func (f *Flow) Counts() Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

// Arrivals returns a copy of the data arrivals so far, in the order they
// came; offset 0 is the connection's first data byte. A Flow made by
// NewCounter has none.
func (f *Flow) Arrivals() []metrics.ByteArrival {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.arrivals)
}

// Early is how many data segments toward the port came before any SYN:
// a tap set too late to see the connection open misses its data.
func (f *Flow) Early() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.early
}
