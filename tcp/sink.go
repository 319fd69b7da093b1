package tcp

import (
	"context"
	"net"
	"time"

	"netmatrix/internal/bufs"
	"netmatrix/internal/busypoll"
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
	// IdleTimeout closes a connection that makes no progress for this
	// long: no byte of a bulk flow, no whole message of a message flow.
	// A client that trickles a message byte by byte is so cut off as one
	// that sends nothing; a message takes at most this long to arrive
	// once the one before it has. Deadlines are checked once a period
	// rather than set per read, so a connection goes between one and two
	// IdleTimeouts after its last progress. Zero means DefaultIdleTimeout
	// (60 s); a negative value keeps connections for ever.
	IdleTimeout time.Duration
}

// Serve accepts connections on ln until ctx is done or ln fails. It
// closes ln and every connection before it returns.
func (s *Sink) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

// ServeConn receives on c, a connection the caller opened to a Source,
// as Serve receives on the connections it accepts: the same reports, and
// c closed after the last of them, which tells the Source its flow has
// been counted. It returns once the flow has ended, or ctx has.
func (s *Sink) ServeConn(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	s.handle(ctx, c)
	// The end of the flow, even where something else holds the socket
	// open (an InfoWatch): the Source waits for it.
	closeWrite(c)
}

func (s *Sink) handle(_ context.Context, c net.Conn) {
	ic := newIdleConn(c, newReader(c, busypoll.Budget(s.BusyPoll)), idleTimeout(s.IdleTimeout))
	var kind [1]byte
	if _, err := ic.Read(kind[:]); err != nil {
		return
	}
	// Naming a flow is not progress: a client that sends no more is as
	// idle as one that sent nothing.
	ic.read = false
	switch kind[0] {
	case flowMessages:
		buf := bufs.New(maxRead)
		defer buf.Release()
		ic.wholeMessages = true
		for {
			msg, err := wire.ReadFrame(ic, &buf)
			if err != nil {
				return
			}
			ic.madeProgress()
			if s.OnMessage != nil {
				s.OnMessage(msg, wire.Now())
			}
		}
	case flowBulk:
		// A bulk flow grows to larger reads: fewer system calls, and each
		// OnBytes checks more bytes per call.
		buf := bufs.New(bulkWrite)
		defer buf.Release()
		for {
			n, err := ic.Read(buf.Bytes())
			if n > 0 && s.OnBytes != nil {
				s.OnBytes(buf.Bytes()[:n], wire.Now())
			}
			if err != nil {
				return
			}
			buf.Filled(n)
		}
	}
}
