package link

import (
	"context"
	"sync"
)

// A Packet is one IP packet in flight. The relay never looks inside: it
// needs the size, a second copy when it duplicates, and a way to give the
// memory back when it drops. An endpoint wraps its own buffer type (a
// gVisor packet buffer, a pooled byte slice from a TUN device) in a
// pointer type, so passing it as a Packet does not allocate.
type Packet interface {
	// Len is the size of the IP packet in bytes.
	Len() int
	// Clone returns an independent copy, owned by the caller.
	Clone() Packet
	// Release gives the packet's memory back; the packet must not be used
	// after.
	Release()
}

// An Endpoint is one end of the relay: where it delivers packets.
// WritePacket takes ownership of p, whatever it returns; an error counts
// the packet as not forwarded. The relay may call it from several
// goroutines, but never twice at once for the same direction out of order.
type Endpoint interface {
	WritePacket(p Packet) error
}

// A Source is an endpoint read from, like a TUN device; Relay.Pump moves
// what it reads onto the link. Endpoints that are handed their packets
// (a netstack link endpoint) call Relay.Send instead.
type Source interface {
	// ReadPacket blocks until a packet arrives, ctx ends or the source is
	// closed.
	ReadPacket(ctx context.Context) (Packet, error)
}

// Buf is a Packet over a byte slice from a pool, for endpoints that read
// raw packets into memory of their own (a TUN device, tests).
type Buf struct {
	B []byte
}

var bufPool = sync.Pool{New: func() any { return &Buf{B: make([]byte, 0, DefaultMTU)} }}

// NewBuf returns a pooled Buf holding a copy of b.
func NewBuf(b []byte) *Buf {
	p := bufPool.Get().(*Buf)
	p.B = append(p.B[:0], b...)
	return p
}

func (p *Buf) Len() int      { return len(p.B) }
func (p *Buf) Clone() Packet { return NewBuf(p.B) }

// Release returns p to the pool.
func (p *Buf) Release() {
	if cap(p.B) > MaxMTU {
		return // let an oversized buffer go rather than pin it
	}
	p.B = p.B[:0]
	bufPool.Put(p)
}
