package tcp

import (
	"context"
	"net"
	"time"

	"netmatrix/internal/bufs"
	"netmatrix/internal/busypoll"
)

// EchoServer reflects every byte it receives back to its sender, as RFC 862
// describes. It needs no framing, so any echo client (nc, socat, the
// harness's client) can use it.
type EchoServer struct {
	// Nagle turns Nagle's algorithm back on for accepted connections. By
	// default it is off (TCP_NODELAY), so a small reply leaves at once
	// instead of waiting for the previous one's acknowledgement.
	Nagle bool
	// Sockperf makes the server answer sockperf's ping-pong instead of
	// echoing bytes: see SockperfEcho.
	Sockperf bool
	// BusyPoll is how long a read on a host socket keeps trying, yielding
	// the CPU between tries, before it sleeps until data comes. Zero means
	// 50 µs, which covers a ping-pong peer's turn, so an exchange never
	// pays a wake-up; a negative value sleeps at once.
	BusyPoll time.Duration
	// IdleTimeout closes a connection that sends nothing, or reads none
	// of its echo once its buffers are full, for this long. Deadlines are
	// checked once a period rather than set per read, so a connection goes
	// between one and two IdleTimeouts after it stopped. Zero means
	// DefaultIdleTimeout (60 s); a negative value keeps connections for
	// ever.
	IdleTimeout time.Duration
}

// Serve accepts connections on ln and echoes on each until ctx is done or
// ln fails. It closes ln and every connection before it returns.
func (s *EchoServer) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

func (s *EchoServer) handle(_ context.Context, c net.Conn) {
	setNagle(c, s.Nagle)
	ic := newIdleConn(c, newReader(c, busypoll.Budget(s.BusyPoll)), idleTimeout(s.IdleTimeout))
	buf := bufs.New(maxRead)
	defer buf.Release()
	if s.Sockperf {
		sockperfEcho(ic, &buf)
		return
	}
	for {
		n, err := ic.Read(buf.Bytes())
		if n > 0 {
			if _, werr := ic.Write(buf.Bytes()[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// The client half-closed (nc -N, shutdown(SHUT_WR)): it has
			// everything we owe it, so say we are done too.
			_ = closeWrite(c)
			return
		}
		buf.Filled(n)
	}
}
