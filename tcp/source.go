package tcp

import (
	"context"
	"net"
)

// Source is a Sink turned around: it sends to each client that connects,
// a flow of length-prefixed messages or a bulk byte stream, which the
// client receives with Sink.ServeConn. What it sends is up to Send, which
// writes it on a Client of the accepted connection as a client would to
// a Sink. The client connects, so the flow goes the way a firewall or a
// NAT lets its replies through.
//
// A Source sends to whoever connects: serve it only where that is meant,
// on a path of one's own or behind a check of who connects.
type Source struct {
	// Bulk makes each flow a bulk byte stream; otherwise it is
	// length-prefixed messages.
	Bulk bool
	// Nagle turns Nagle's algorithm back on for the flow.
	Nagle bool
	// Send writes one flow on c and returns when it is done (a reliable
	// flow: after c.Finish). It runs in a goroutine of its own per
	// connection, which is closed when it returns.
	Send func(ctx context.Context, c *Client) error
}

// Serve accepts connections on ln until ctx is done or ln fails, and
// runs Send on each. It closes ln and every connection before it returns.
func (s *Source) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.handle)
}

func (s *Source) handle(ctx context.Context, c net.Conn) {
	var kind byte = flowMessages
	if s.Bulk {
		kind = flowBulk
	}
	cl, err := newClient(c, Options{Nagle: s.Nagle}, kind)
	if err != nil {
		return
	}
	_ = s.Send(ctx, cl)
}
