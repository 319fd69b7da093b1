package tcp

import (
	"context"
	"net"
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
	if s.Sockperf {
		sockperfEcho(c, *bp)
		return
	}
	buf := *bp
	for {
		n, err := c.Read(buf)
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
