package tcp

import (
	"context"
	"net"
	"time"

	"netmatrix/internal/wire"
)

// The first byte a client sends a Sink says what follows (wire.FlowMessages
// or wire.FlowBulk).
const (
	flowMessages = wire.FlowMessages
	flowBulk     = wire.FlowBulk
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
	// BusyPoll is how long a read on a host socket keeps trying, yielding
	// the CPU between tries, before it sleeps until data comes, as
	// EchoServer.BusyPoll. Zero means 50 µs; a negative value sleeps at
	// once.
	BusyPoll time.Duration
}

// Serve accepts connections on ln until ctx is done or ln fails. It
// closes ln and every connection before it returns.
func (s *Sink) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

func (s *Sink) handle(_ context.Context, c net.Conn) {
	r := newReader(c, busyPoll(s.BusyPoll))
	var kind [1]byte
	if _, err := r.Read(kind[:]); err != nil {
		return
	}
	switch kind[0] {
	case flowMessages:
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		buf := *bp
		for {
			n, err := wire.ReadFrame(r, buf)
			if err != nil {
				return
			}
			if s.OnMessage != nil {
				s.OnMessage(buf[:n], wire.Now())
			}
		}
	case flowBulk:
		// A bulk flow reads in larger pieces: fewer system calls, and
		// each OnBytes checks more bytes per call.
		bp := bulkPool.Get().(*[]byte)
		defer bulkPool.Put(bp)
		buf := *bp
		for {
			n, err := r.Read(buf)
			if n > 0 && s.OnBytes != nil {
				s.OnBytes(buf[:n], wire.Now())
			}
			if err != nil {
				return
			}
		}
	}
}
