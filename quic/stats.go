package quic

import (
	"cmp"
	"slices"
	"sync"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"
)

// Stats is what quic-go did on one end's connections: what the transport
// saw, next to what the application saw. The first counters come from
// quic-go's own ConnectionStats and cost nothing; the rest are counted
// from its qlog events, which costs a few allocations per packet, and are
// kept unless Config.NoTrace turns tracing off.
type Stats struct {
	PacketsSent     uint64 // QUIC packets sent (each of a coalesced datagram counts)
	BytesSent       uint64 // their size, QUIC headers included, UDP and IP not
	PacketsReceived uint64
	BytesReceived   uint64
	// PacketsLost counts packets loss detection (RFC 9002) declared lost
	// (and ECN congestion marks, where the path sets them). Packets that
	// carry only ACKs are never declared lost, and path MTU probes do not
	// count, so this is at most what the path dropped of this end's
	// packets.
	PacketsLost uint64
	BytesLost   uint64

	// Traced says the counters below were kept.
	Traced bool
	// SpuriousLosses counts packets declared lost and then acknowledged
	// after all: reordering or a delay spike mistaken for loss.
	SpuriousLosses uint64
	// PTOs counts probe timeouts: the sender heard no acknowledgement for
	// a while and sent probes (RFC 9002, section 6.2), QUIC's retransmission
	// timeout.
	PTOs uint64
	// RetransmittedPackets counts packets that carried stream data sent
	// before; RetransmittedBytes is that data. QUIC never resends a
	// packet, only the frames of one, so this is the nearest to TCP's
	// retransmitted segments.
	RetransmittedPackets uint64
	RetransmittedBytes   uint64
	MTUProbesLost        uint64 // path MTU probes lost, as probes too large are
	// PacketsDropped counts packets received and discarded: undecryptable,
	// duplicate, or over the 256 a connection queues when it cannot keep
	// up ("dos_prevention" in quic-go's qlog).
	PacketsDropped    uint64
	DatagramsSent     uint64 // RFC 9221 DATAGRAM frames sent
	DatagramsReceived uint64
	// DatagramsLost counts DATAGRAM frames sent in packets that loss
	// detection declared lost: the sender's view of the messages the path
	// took, which QUIC never sends again.
	DatagramsLost uint64
	// DatagramsDropped counts DATAGRAM frames quic-go discarded itself:
	// one that no longer fit a packet when its turn came, or one that
	// arrived while 128 waited for the application to read them.
	DatagramsDropped uint64
}

// counterFields names each counter of Stats once, as results record it,
// for Map and add alike: a counter added to Stats and here is both
// summed and recorded, and cannot be dropped by one of the two. The
// traced ones are recorded only where they were kept.
var counterFields = []struct {
	name   string
	traced bool
	of     func(*Stats) *uint64
}{
	{"packets_sent", false, func(s *Stats) *uint64 { return &s.PacketsSent }},
	{"bytes_sent", false, func(s *Stats) *uint64 { return &s.BytesSent }},
	{"packets_received", false, func(s *Stats) *uint64 { return &s.PacketsReceived }},
	{"bytes_received", false, func(s *Stats) *uint64 { return &s.BytesReceived }},
	{"packets_lost", false, func(s *Stats) *uint64 { return &s.PacketsLost }},
	{"bytes_lost", false, func(s *Stats) *uint64 { return &s.BytesLost }},
	{"spurious_losses", true, func(s *Stats) *uint64 { return &s.SpuriousLosses }},
	{"ptos", true, func(s *Stats) *uint64 { return &s.PTOs }},
	{"retransmitted_packets", true, func(s *Stats) *uint64 { return &s.RetransmittedPackets }},
	{"retransmitted_bytes", true, func(s *Stats) *uint64 { return &s.RetransmittedBytes }},
	{"mtu_probes_lost", true, func(s *Stats) *uint64 { return &s.MTUProbesLost }},
	{"packets_dropped", true, func(s *Stats) *uint64 { return &s.PacketsDropped }},
	{"datagrams_sent", true, func(s *Stats) *uint64 { return &s.DatagramsSent }},
	{"datagrams_received", true, func(s *Stats) *uint64 { return &s.DatagramsReceived }},
	{"datagrams_lost", true, func(s *Stats) *uint64 { return &s.DatagramsLost }},
	{"datagrams_dropped", true, func(s *Stats) *uint64 { return &s.DatagramsDropped }},
}

// Map returns the counters keyed by name, as results record them; the
// traced ones only where they were kept.
func (s Stats) Map() map[string]uint64 {
	m := make(map[string]uint64, len(counterFields))
	for _, f := range counterFields {
		if !f.traced || s.Traced {
			m[f.name] = *f.of(&s)
		}
	}
	return m
}

func (s *Stats) add(o Stats) {
	for _, f := range counterFields {
		*f.of(s) += *f.of(&o)
	}
	s.Traced = s.Traced || o.Traced
}

// fromConn is the part of Stats quic-go keeps itself.
func fromConn(cs quicgo.ConnectionStats) Stats {
	return Stats{
		PacketsSent: cs.PacketsSent, BytesSent: cs.BytesSent,
		PacketsReceived: cs.PacketsReceived, BytesReceived: cs.BytesReceived,
		PacketsLost: cs.PacketsLost, BytesLost: cs.BytesLost,
	}
}

// counters sums the connections of one end. A connection that ends is
// folded into a total, so a long-running server keeps nothing per past
// connection.
type counters struct {
	mu     sync.Mutex
	ended  Stats
	conns  map[*quicgo.Conn]struct{}
	traces map[*connTrace]struct{}
}

func newCounters() *counters {
	return &counters{conns: make(map[*quicgo.Conn]struct{}), traces: make(map[*connTrace]struct{})}
}

// open starts counting c; close stops and keeps its final counts.
func (cs *counters) open(c *quicgo.Conn) {
	cs.mu.Lock()
	cs.conns[c] = struct{}{}
	cs.mu.Unlock()
}

func (cs *counters) close(c *quicgo.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.conns[c]; ok {
		delete(cs.conns, c)
		cs.ended.add(fromConn(c.ConnectionStats()))
	}
}

func (cs *counters) newConnTrace() *connTrace {
	t := &connTrace{set: cs, s: Stats{Traced: true}, sent: make(map[quicgo.StreamID]int64)}
	cs.mu.Lock()
	cs.traces[t] = struct{}{}
	cs.mu.Unlock()
	return t
}

// stats sums every connection so far, ended or not.
func (cs *counters) stats() Stats {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s := cs.ended
	for c := range cs.conns {
		s.add(fromConn(c.ConnectionStats()))
	}
	for t := range cs.traces {
		t.mu.Lock()
		s.add(t.s)
		t.mu.Unlock()
	}
	return s
}

// unsettled counts the datagrams sent on traced connections that were
// neither acknowledged nor declared lost yet.
func (cs *counters) unsettled() uint64 {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var n uint64
	for t := range cs.traces {
		t.mu.Lock()
		for _, p := range t.dgrams {
			n += p.n
		}
		t.mu.Unlock()
	}
	return n
}

// connTrace is one connection's qlog trace: both the Trace quic-go asks
// for and the Recorder it records into. It keeps counts, not events.
type connTrace struct {
	set *counters

	mu        sync.Mutex
	s         Stats
	producers int
	// sent is how far each stream's data has been sent: a STREAM frame
	// that starts below it carries data sent before.
	sent map[quicgo.StreamID]int64
	// dgrams are the 1-RTT packets that carried datagrams, in packet
	// number order, until acknowledged or declared lost (n then 0).
	dgrams []dgramPacket

	// onStreamFrame, if set, is told of every STREAM frame received.
	onStreamFrame func(StreamFrame)
}

type dgramPacket struct {
	pn qlog.PacketNumber
	n  uint64 // DATAGRAM frames in it
}

// maxTrackedDatagramPackets bounds dgrams; past it the oldest are
// forgotten, and their loss, if it comes, is missed. It is more than
// quic-go keeps in flight (its congestion window stops at 10000 packets).
const maxTrackedDatagramPackets = 1 << 14

// maxTrackedStreams bounds sent on a connection that opens stream after
// stream; past it the map starts over, and a retransmission of a stream
// forgotten that way is missed.
const maxTrackedStreams = 1 << 14

func (t *connTrace) AddProducer() qlogwriter.Recorder {
	t.mu.Lock()
	t.producers++
	t.mu.Unlock()
	return t
}

// Close folds the connection into its set's total once its last producer
// is done.
func (t *connTrace) Close() error {
	t.set.mu.Lock()
	defer t.set.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.producers--; t.producers > 0 {
		return nil
	}
	if _, ok := t.set.traces[t]; ok {
		delete(t.set.traces, t)
		t.set.ended.add(t.s)
	}
	return nil
}

func (t *connTrace) RecordEvent(ev qlogwriter.Event) {
	// Outside the lock: the hook is the application's, and may ask for
	// Stats.
	if e, ok := ev.(qlog.PacketReceived); ok && t.onStreamFrame != nil {
		t.reportStreamFrames(e.Frames)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e := ev.(type) {
	case qlog.PacketSent:
		resent := false
		var dgrams uint64
		for _, f := range e.Frames {
			switch f := f.Frame.(type) {
			case *qlog.StreamFrame:
				if n := t.resent(f); n > 0 {
					resent = true
					t.s.RetransmittedBytes += uint64(n)
				}
			case *qlog.DatagramFrame:
				dgrams++
			}
		}
		if resent {
			t.s.RetransmittedPackets++
		}
		if dgrams > 0 {
			t.s.DatagramsSent += dgrams
			t.sentDatagrams(e.Header, dgrams)
		}
	case qlog.PacketReceived:
		for _, f := range e.Frames {
			switch f := f.Frame.(type) {
			case *qlog.DatagramFrame:
				t.s.DatagramsReceived++
			case *qlog.AckFrame:
				if e.Header.PacketType == qlog.PacketType1RTT {
					t.acked(f.AckRanges)
				}
			}
		}
	case qlog.PacketLost:
		if e.IsMTUProbePacket {
			t.s.MTUProbesLost++
		}
		if e.Header.PacketType == qlog.PacketType1RTT {
			t.s.DatagramsLost += t.forget(e.Header.PacketNumber, e.Header.PacketNumber)
		}
	case qlog.SpuriousLoss:
		t.s.SpuriousLosses++
	case qlog.PTOCountUpdated:
		// The count rises by one at each probe timeout and goes back to
		// zero when an acknowledgement comes.
		if e.PTOCount > 0 {
			t.s.PTOs++
		}
	case qlog.PacketDropped:
		t.s.PacketsDropped++
	case qlog.DatagramDropped:
		t.s.DatagramsDropped++
	}
}

// sentDatagrams remembers a packet that carried n datagrams.
func (t *connTrace) sentDatagrams(h qlog.PacketHeader, n uint64) {
	if h.PacketType != qlog.PacketType1RTT {
		return
	}
	if len(t.dgrams) >= maxTrackedDatagramPackets {
		t.dgrams = t.dgrams[1:]
	}
	t.dgrams = append(t.dgrams, dgramPacket{h.PacketNumber, n})
}

// acked forgets the datagram packets an ACK frame covers.
func (t *connTrace) acked(ranges []qlog.AckRange) {
	for _, r := range ranges {
		t.forget(r.Smallest, r.Largest)
	}
}

// forget stops tracking the datagram packets numbered lo to hi and
// returns how many datagrams they carried.
func (t *connTrace) forget(lo, hi qlog.PacketNumber) uint64 {
	i, _ := slices.BinarySearchFunc(t.dgrams, lo, func(p dgramPacket, pn qlog.PacketNumber) int { return cmp.Compare(p.pn, pn) })
	var n uint64
	for ; i < len(t.dgrams) && t.dgrams[i].pn <= hi; i++ {
		n += t.dgrams[i].n
		t.dgrams[i].n = 0
	}
	// Drop the settled packets at the front; those settled out of order
	// wait there until the ones before them are.
	k := 0
	for k < len(t.dgrams) && t.dgrams[k].n == 0 {
		k++
	}
	t.dgrams = t.dgrams[k:]
	return n
}

// resent records a STREAM frame and returns how many of its bytes were
// sent before.
func (t *connTrace) resent(f *qlog.StreamFrame) int64 {
	end := f.Offset + f.Length
	prev, ok := t.sent[f.StreamID]
	if !ok && len(t.sent) >= maxTrackedStreams {
		clear(t.sent)
	}
	if end > prev {
		t.sent[f.StreamID] = end
	}
	return max(0, min(prev, end)-f.Offset)
}
