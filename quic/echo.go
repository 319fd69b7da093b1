package quic

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	quicgo "github.com/quic-go/quic-go"
)

// EchoServer reflects what it receives, in every shape at once: the bytes
// of each stream back on that stream (RFC 862 over a stream, so one
// stream of many messages and one stream per message both work), and
// each datagram back as a datagram, never larger than the one that came.
type EchoServer struct {
	// Identity is the certificate the server presents. Nil means
	// DefaultIdentity, which clients in the same process trust by default.
	Identity *Identity
	// Config tunes quic-go; the zero value is netmatrix's default.
	Config Config

	server
}

// Serve answers connections on pc until ctx is done or pc fails. It closes
// pc and every connection before it returns.
func (s *EchoServer) Serve(ctx context.Context, pc net.PacketConn) error {
	return s.serve(ctx, pc, s.Identity, s.Config, nil, func(c *quicgo.Conn) {
		acceptLoops(c, echoStream, nil, func(d []byte) {
			// A send that fails (the connection is going) ends nothing:
			// the loop above ends with the connection.
			_ = c.SendDatagram(d)
		})
	})
}

// echoStream copies a stream back to its sender and closes its side when
// the client closes its own: the reply to a message on its own stream
// ends where the message ended.
func echoStream(st *quicgo.Stream) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := st.Read(buf)
		if n > 0 {
			if _, werr := st.Write(buf[:n]); werr != nil {
				abort(st, codeClientEnd)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				st.Close()
				return
			}
			abort(st, codeClientEnd)
			return
		}
	}
}

// bufPool holds per-stream read buffers, so an idle server holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
