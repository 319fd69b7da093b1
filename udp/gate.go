package udp

import (
	"net"
	"net/netip"
)

// A Gated socket is a host socket behind a gate that admits senders (the
// return check of compare serve's sessions, harness/netpath/remote). A
// server given one serves its Socket, with the fast paths of a host
// socket (batches, busy polling), and passes every datagram to Admit
// before it takes it, and every reply to Admitted before it sends it.
// Through its own ReadFrom and WriteTo a Gated socket must do the same,
// for any other reader (quic-go).
type Gated interface {
	net.PacketConn
	// Socket is the socket under the gate.
	Socket() net.PacketConn
	// Admit reports whether a datagram from from is the server's to
	// take; the gate answers its own messages itself.
	Admit(msg []byte, from netip.AddrPort) bool
	// Admitted reports whether the server may send to to.
	Admitted(to netip.AddrPort) bool
}

// socketOf is the socket a server reads: under the gate, if pc is one.
func socketOf(pc net.PacketConn) net.PacketConn {
	if g, ok := pc.(Gated); ok {
		return g.Socket()
	}
	return pc
}

// gatedIO is a packetIO through a gate: a batch keeps only what the gate
// admits, and a write goes only to addresses it admitted.
type gatedIO struct {
	packetIO
	g Gated
}

func (g gatedIO) readBatch(ds []dgram) (int, error) {
	for {
		n, err := g.packetIO.readBatch(ds)
		if err != nil {
			return 0, err
		}
		kept := 0
		for i := range n {
			ok := true
			// A GRO run is one sender's datagrams of one size: all
			// admitted or none (a check's messages are never data).
			ds[i].each(func(msg []byte) { ok = ok && g.g.Admit(msg, ds[i].from) })
			if ok {
				// Swapped, not copied: each entry keeps a buffer of
				// its own.
				ds[kept], ds[i] = ds[i], ds[kept]
				kept++
			}
		}
		if kept > 0 {
			return kept, nil
		}
	}
}

// writeBatch sends the admitted entries at the head of ds; an entry to
// an address the gate did not admit is dropped (counted as gone, as a
// congested path drops it), never sent.
func (g gatedIO) writeBatch(ds []dgram) (int, error) {
	n := 0
	for n < len(ds) && g.g.Admitted(ds[n].from) {
		n++
	}
	if n == 0 {
		return 1, nil
	}
	return g.packetIO.writeBatch(ds[:n])
}
