package link

import (
	"errors"
	"io"

	"netmatrix/internal/wire"
)

// A Tap observes the packets a relay delivers, as it hands each one to the
// far endpoint: what the receiving host got from the link and when. at is
// the time of the handover on the wire.Now clock, the one message headers
// are stamped with, so an arrival can be set against a send time.
//
// p is valid only during the call: a tap must not keep it, release it or
// change it. Its bytes can be read where its type implements io.ReaderAt
// (see Head). Calls for one direction come one at a time in delivery
// order, from that direction's goroutine; calls for the two directions
// may overlap. A tap runs on the path of every packet, so it should take
// what it needs and return.
//
// A tap sees every packet the relay hands over, including the rare one
// an endpoint then refuses (its host is shut down), and none the link
// dropped. What the receiving stack does next (a full receive buffer
// dropping a segment) is beyond it.
type Tap func(d Dir, at int64, p Packet)

// laneTap is a lane's tap with the direction it reports.
type laneTap struct {
	dir Dir
	fn  Tap
}

// SetTap sets the tap that observes every packet delivered from now on,
// in both directions; nil removes it. Set it before the traffic it is to
// see starts (before a TCP connection's handshake, to see its SYN).
// Without a tap the relay's cost is one atomic load per packet.
func (r *Relay) SetTap(t Tap) {
	for d := range r.lanes {
		var lt *laneTap
		if t != nil {
			lt = &laneTap{dir: Dir(d), fn: t}
		}
		r.lanes[d].tap.Store(lt)
	}
}

// observe shows p to the lane's tap, if it has one, before its handover.
// It is small enough to be inlined into the relay's delivery, so a relay
// without a tap pays a load and a comparison.
func (l *lane) observe(p Packet) {
	if t := l.tap.Load(); t != nil {
		t.show(p)
	}
}

func (t *laneTap) show(p Packet) { t.fn(t.dir, wire.Now(), p) }

// Head copies the first bytes of p into dst, as many as fit, and returns
// them; nil if p's type does not show its bytes (implement io.ReaderAt
// to show them). It is how a tap reads the IP and transport headers of a
// packet without knowing the endpoint's buffer type.
func Head(p Packet, dst []byte) []byte {
	r, ok := p.(io.ReaderAt)
	if !ok {
		return nil
	}
	n, err := r.ReadAt(dst, 0)
	if n == 0 && err != nil {
		return nil
	}
	return dst[:n]
}

var errNegativeOffset = errors.New("link: negative offset")

// ReadAt implements io.ReaderAt over the packet's bytes, so a Tap can
// read them.
func (p *Buf) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	if off >= int64(len(p.B)) {
		return 0, io.EOF
	}
	n := copy(b, p.B[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}
