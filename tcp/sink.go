package tcp

import (
	"context"
	"net"

	"netmatrix/internal/wire"
)

// The first byte a client sends a Sink says what follows.
const (
	flowMessages = 'M' // length-prefixed messages, each reported to OnMessage
	flowBulk     = 'B' // a plain byte stream, each read reported to OnBytes
)

// Sink receives messages or a bulk byte stream and reports each arrival as
// it happens. When the client half-closes, the sink closes its side after
// the last report, so a client that reads EOF knows every byte it sent has
// been counted.
type Sink struct {
	// OnMessage is called for each message of a message flow, in order,
	// with the time it was read. msg is valid only during the call. Nil
	// means messages are read and dropped.
	OnMessage func(msg []byte, arrived int64)
	// OnBytes is called for each read of a bulk flow, in order, with the
	// time it was read. chunk is valid only during the call.
	OnBytes func(chunk []byte, arrived int64)
}

// Serve accepts connections on ln until ctx is done or ln fails. It
// closes ln and every connection before it returns.
func (s *Sink) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

func (s *Sink) handle(_ context.Context, c net.Conn) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp

	var kind [1]byte
	if _, err := c.Read(kind[:]); err != nil {
		return
	}
	switch kind[0] {
	case flowMessages:
		for {
			n, err := wire.ReadFrame(c, buf)
			if err != nil {
				return
			}
			if s.OnMessage != nil {
				s.OnMessage(buf[:n], wire.Now())
			}
		}
	case flowBulk:
		for {
			n, err := c.Read(buf)
			if n > 0 && s.OnBytes != nil {
				s.OnBytes(buf[:n], wire.Now())
			}
			if err != nil {
				return
			}
		}
	}
}
