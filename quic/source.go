package quic

import (
	"context"
	"net"

	quicgo "github.com/quic-go/quic-go"
)

// Source is a Sink turned around: it sends to each client that connects,
// in its Shape, what Send writes on a Client of the accepted connection,
// as a client would to a Sink: messages on one stream, on a stream each
// or as datagrams, or a bulk transfer. The client receives it with
// DialSource. The client connects, so the flow goes the way a firewall or
// a NAT lets its replies through.
//
// A Source sends to whoever completes a handshake: serve it only where
// that is meant, on a path of one's own or behind a check of who
// connects.
type Source struct {
	// Identity is the certificate the server presents. Nil means
	// DefaultIdentity.
	Identity *Identity
	// Config tunes quic-go; the zero value is netmatrix's default.
	Config Config
	Shape  Shape
	// Bulk makes each flow a bulk transfer (one stream or datagrams);
	// otherwise it is messages.
	Bulk bool
	// Send writes one flow on c and returns when it is done (a reliable
	// flow: after c.Finish). It runs in a goroutine of its own per
	// connection. The connection stays open after it, until the client
	// closes it or Serve ends, so datagrams still queued go out.
	Send func(ctx context.Context, c *Client) error

	server
}

// Serve runs the server on pc until ctx is done or pc fails. It closes
// pc and every connection before it returns.
func (s *Source) Serve(ctx context.Context, pc net.PacketConn) error {
	r := roleMessages
	if s.Bulk {
		r = roleBulk
	}
	return s.serve(ctx, pc, s.Identity, s.Config, nil, func(conn *quicgo.Conn) {
		c := &Client{shape: s.Shape, role: r, conn: conn, cnt: s.counters(), inbox: newInbox(inboxLimit)}
		if err := c.open(); err != nil {
			return
		}
		_ = s.Send(conn.Context(), c)
		<-conn.Context().Done()
		c.Close()
	})
}

// DialSource connects to a Source at addr over pc (see DialEcho) and
// hands what it sends to sink, as the sink's Serve would hand it what a
// client sends: the same reports (OnStreamFrame included), and a stream
// closed only once it has been reported whole, which tells the Source
// its flow was counted. Close ends it.
func DialSource(ctx context.Context, pc net.PacketConn, addr string, shape Shape, sink *Sink, opt *Options) (*Client, error) {
	var onFrame func(StreamFrame)
	if sink.OnStreamFrame != nil {
		onFrame = sink.streamFrame
	}
	c, err := dial(ctx, pc, addr, shape, roleReceive, opt, onFrame)
	if err != nil {
		return nil, err
	}
	c.readers.Go(func() { sink.handleConn(c.conn) })
	return c, nil
}
