package udp

import (
	"encoding/binary"
	"hash/maphash"
	"net"
	"net/netip"
	"time"
)

// host knows which source addresses are this host's own. A datagram
// "from" one of them was sent on this host, and a datagram "from" the
// server's own address and port was forged: answering it would send the
// reply to the server itself, for ever.
type host struct {
	self  netip.AddrPort // the server's address; its Addr may be unspecified
	addrs []netip.Addr   // the interfaces' addresses, beyond loopback
}

// newHost reads pc's address and, for a host socket, the addresses of
// the host's interfaces (once: addresses added later are not known).
func newHost(pc net.PacketConn) host {
	h := host{self: addrPort(pc.LocalAddr())}
	h.self = netip.AddrPortFrom(h.self.Addr().Unmap(), h.self.Port())
	if a := h.self.Addr(); a.IsValid() && !a.IsUnspecified() {
		h.addrs = append(h.addrs, a)
	}
	if _, ok := socketOf(pc).(*net.UDPConn); ok {
		ifaddrs, _ := net.InterfaceAddrs()
		for _, ia := range ifaddrs {
			if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
				h.addrs = append(h.addrs, pfx.Addr().Unmap())
			}
		}
	}
	return h
}

// local reports whether a is one of this host's addresses.
func (h *host) local(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	for _, l := range h.addrs {
		if a == l {
			return true
		}
	}
	return false
}

// isSelf reports whether src is the server's own address: its port, and
// its address or, for a server bound to every address, any of the host's.
func (h *host) isSelf(src netip.AddrPort) bool {
	if src.Port() != h.self.Port() {
		return false
	}
	if h.self.Addr().IsUnspecified() {
		return h.local(src.Addr())
	}
	return src.Addr().Unmap() == h.self.Addr()
}

// loopWindow is how soon a datagram must come back to count as our own
// reply returned: another echo server on this host turns one round in
// microseconds, a person or a periodic check repeating itself takes far
// longer.
const loopWindow = 100 * time.Millisecond

// loopSlots is the size of loopGuard's table: enough for every local
// client a test or a benchmark runs at once. A collision only forgets an
// earlier reply, which lets a loop run one more round.
const (
	loopBits  = 8
	loopSlots = 1 << loopBits
)

// loopGuard stops a ping-pong between this echo server and another one on
// the same host, started by one datagram forged "from" the other: it
// remembers the last reply sent to each local source, and a datagram from
// that source with the same bytes within loopWindow is that reply coming
// back from an echo server, so it gets no answer. Each server so answers
// the other once. A local client that sends the same bytes more often
// than loopWindow gets every other one answered; clients that number
// their messages (sockperf, netmatrix's own) are never affected.
//
// It costs a hash of the payload and a table look-up per datagram from a
// local source, and no allocation once the table exists.
type loopGuard struct {
	seed  maphash.Seed
	start time.Time
	slots *[loopSlots]loopSlot // made at the first local source
}

type loopSlot struct {
	to  netip.AddrPort
	sum uint64
	at  time.Duration // since start
}

func newLoopGuard(now time.Time) loopGuard {
	return loopGuard{seed: maphash.MakeSeed(), start: now}
}

// answer reports whether to answer payload from src at now, and if so
// records the reply.
func (g *loopGuard) answer(src netip.AddrPort, payload []byte, now time.Time) bool {
	if g.slots == nil {
		g.slots = new([loopSlots]loopSlot)
	}
	sum := maphash.Bytes(g.seed, payload)
	at := now.Sub(g.start)
	s := &g.slots[slotOf(src)]
	if s.to == src && s.sum == sum && at-s.at < loopWindow {
		return false
	}
	*s = loopSlot{to: src, sum: sum, at: at}
	return true
}

// slotOf spreads addresses over the table (Fibonacci hashing).
func slotOf(ap netip.AddrPort) int {
	a := ap.Addr().As16()
	h := binary.LittleEndian.Uint64(a[:8]) ^ binary.LittleEndian.Uint64(a[8:]) ^ uint64(ap.Port())<<32
	return int((h * 0x9e3779b97f4a7c15) >> (64 - loopBits))
}
