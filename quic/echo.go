package quic

import (
	"context"
	"errors"
	"io"
	"net"

	quicgo "github.com/quic-go/quic-go"

	"netmatrix/internal/bufs"
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
	buf := bufs.New(maxRead)
	defer buf.Release()
	for {
		n, err := st.Read(buf.Bytes())
		if n > 0 {
			if _, werr := st.Write(buf.Bytes()[:n]); werr != nil {
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
		buf.Filled(n)
	}
}

// maxRead is the most a stream reads at once, and the largest message
// on a stream of many. Buffers start smaller and grow to it only as reads
// fill them (see bufs.Buf), so a stream that has had little to read holds
// a few KiB.
const maxRead = 64 << 10
