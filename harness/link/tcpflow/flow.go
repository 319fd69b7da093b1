package tcpflow

import (
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
// over. Its methods are safe to call at once from several goroutines.
type Flow struct {
	port    uint16
	reverse bool // follow the data from port, not toward it

	mu sync.Mutex
	// src and dst are the connection's ends, the data's sender first,
	// once its SYN has been seen.
	src, dst netip.AddrPort
	anchored bool
	// first is the sequence number of the first data byte: the SYN's
	// initial sequence number plus one, as the SYN takes one number.
	first uint32
	// highest is the largest stream offset seen, the reference that
	// unwraps the next 32-bit sequence number.
	highest  int64
	arrivals []metrics.ByteArrival
	early    int // data segments seen before the SYN
	head     [MaxHeaders]byte
}

// New returns a Flow that follows the first connection opened toward
// port.
func New(port uint16) *Flow { return &Flow{port: port} }

// NewReverse returns a Flow that follows the data coming back from port
// on the first connection opened toward it: what a server there sends.
// It anchors on the server's SYN-ACK.
func NewReverse(port uint16) *Flow { return &Flow{port: port, reverse: true} }

var _ link.Tap = (*Flow)(nil).Tap

// Tap is a link.Tap: set it on the relay (Relay.SetTap) before the
// connection opens. Packets whose bytes the link's packet type does not
// show (see link.Head) are passed over.
func (f *Flow) Tap(_ link.Dir, at int64, p link.Packet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := link.Head(p, f.head[:]); b != nil {
		f.observe(at, b)
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
			f.src, f.dst, f.first, f.anchored = s.Src, s.Dst, s.Seq+1, true
			f.record(at, s)
		}
		return
	}
	if !f.anchored {
		switch {
		case s.Dst.Port() != f.port:
		case s.Flags&(FlagSYN|FlagACK) == FlagSYN:
			f.src, f.dst, f.first, f.anchored = s.Src, s.Dst, s.Seq+1, true
			f.record(at, s)
		case s.Payload > 0:
			f.early++
		}
		return
	}
	if s.Src != f.src || s.Dst != f.dst {
		return
	}
	f.record(at, s)
}

// record adds the segment's data, if any, at its stream offset.
func (f *Flow) record(at int64, s Segment) {
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
	f.arrivals = append(f.arrivals, metrics.ByteArrival{At: at, Offset: off, Length: int64(s.Payload)})
}

// Arrivals returns a copy of the data arrivals so far, in the order they
// came; offset 0 is the connection's first data byte.
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
