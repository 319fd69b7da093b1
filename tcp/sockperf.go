package tcp

import (
	"io"

	"netmatrix/internal/bufs"
	"netmatrix/internal/wire"
)

// sockperfEcho answers sockperf's TCP ping-pong on c. sockperf frames its
// messages on the byte stream by the length in each header; a message
// that claims more than buf may grow to, or less than a header, ends the
// connection.
func sockperfEcho(c io.ReadWriter, buf *bufs.Buf) {
	for {
		hdr := buf.Bytes()[:wire.SockperfHeaderLen]
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		n := wire.SockperfLen(hdr)
		if n < wire.SockperfHeaderLen || n > buf.Limit() {
			return
		}
		msg, err := buf.ReadFull(c, wire.SockperfHeaderLen, n)
		if err != nil {
			return
		}
		if wire.SockperfReply(msg) {
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
	}
}
