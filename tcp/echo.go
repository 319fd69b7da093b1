package tcp

import (
	"context"
	"net"
	"time"
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
}

// Serve accepts connections on ln and echoes on each until ctx is done or
// ln fails. It closes ln and every connection before it returns.
func (s *EchoServer) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

func (s *EchoServer) handle(_ context.Context, c net.Conn) {
	setNagle(c, s.Nagle)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	r := newReader(c, busyPoll(s.BusyPoll))
	if s.Sockperf {
		sockperfEcho(r, c, *bp)
		return
	}
	buf := *bp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// The client half-closed (nc -N, shutdown(SHUT_WR)): it has
			// everything we owe it, so say we are done too.
			_ = closeWrite(c)
			return
		}
	}
}
