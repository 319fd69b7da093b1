package udp

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"netmatrix/internal/busypoll"
	"netmatrix/internal/wire"
)

// EchoServer reflects each datagram to its sender (RFC 862) and is built
// not to be an amplifier or one end of a loop: a reply is never larger
// than its request; datagrams from the ports of the classic UDP echo-loop
// services, or forged from the server's own address, are dropped; another
// echo server on this host is answered once, not back and forth for ever
// (see loopGuard); and each source can be held to a rate.
type EchoServer struct {
	// RateLimit caps the datagrams answered per second for each source
	// address. Zero means no cap: the harness measures with none, and
	// `compare serve` sets one. It also bounds a loop with an echo server
	// on another host, which loopGuard does not see.
	RateLimit float64
	// Burst is how many datagrams a source may send at once above
	// RateLimit. Zero means one second's worth.
	Burst int
	// Sockperf makes the server answer sockperf's ping-pong: only
	// messages that ask for a reply get one, marked as from a server.
	Sockperf bool
	// BusyPoll is how long a read on a host socket keeps trying, yielding
	// the CPU between tries, before it sleeps until a datagram comes.
	// Zero means 50 µs, which covers a ping-pong peer's turn, so an
	// exchange never pays a wake-up; a negative value sleeps at once.
	BusyPoll time.Duration

	received, answered, refused, limited atomic.Uint64
}

// EchoStats counts what an EchoServer did.
type EchoStats struct {
	Received uint64 // datagrams read
	Answered uint64 // replies sent
	// Refused counts datagrams dropped as the start or the turn of a
	// loop: from an echo-loop port, from the server's own address, or a
	// local echo server sending back the reply it was sent.
	Refused uint64
	Limited uint64 // dropped by the per-source rate limit
}

// Stats returns the server's counters so far.
func (s *EchoServer) Stats() EchoStats {
	return EchoStats{s.received.Load(), s.answered.Load(), s.refused.Load(), s.limited.Load()}
}

// loopPorts are the services that answer any datagram: echo (7), daytime
// (13), qotd (17) and chargen (19). A datagram "from" one of them is
// almost always spoofed to start a loop between two servers, so it gets
// no answer. Port 0 cannot be a real sender either.
func loopPort(port uint16) bool {
	switch port {
	case 0, 7, 13, 17, 19:
		return true
	}
	return false
}

// Serve answers datagrams on pc until ctx is done or pc fails. It closes
// pc before it returns.
func (s *EchoServer) Serve(ctx context.Context, pc net.PacketConn) error {
	in := newDgrams(batchSize, maxDatagram)
	out := make([]dgram, batchSize)
	var lim *limiter
	if s.RateLimit > 0 {
		lim = newLimiter(s.RateLimit, s.Burst)
	}
	h := newHost(pc)
	guard := newLoopGuard(time.Now())
	// No GRO here: each request gets its own reply, and a ping-pong
	// exchange has one datagram in flight anyway.
	pio := newPacketIO(pc, ioOptions{busyPoll: busypoll.Budget(s.BusyPoll)})
	return serveLoop(ctx, pc, pio, in, func(n int) error {
		s.received.Add(uint64(n))
		now := time.Now()
		k := 0
		for i := range n {
			d := &in[i]
			if loopPort(d.from.Port()) || h.isSelf(d.from) {
				s.refused.Add(1)
				continue
			}
			// The reply is the bytes read: never more than arrived.
			payload := d.buf[:d.n]
			if s.Sockperf && !wire.SockperfReply(payload) {
				continue
			}
			if lim != nil && !lim.allow(d.from.Addr(), now) {
				s.limited.Add(1)
				continue
			}
			// Last, as it records the reply about to go out.
			if h.local(d.from.Addr()) && !guard.answer(d.from, payload, now) {
				s.refused.Add(1)
				continue
			}
			out[k] = dgram{buf: payload, from: d.from, addr: d.addr}
			k++
		}
		for sent := 0; sent < k; {
			w, err := pio.writeBatch(out[sent:k])
			if err != nil {
				return err
			}
			sent += w
		}
		s.answered.Add(uint64(k))
		return nil
	})
}
