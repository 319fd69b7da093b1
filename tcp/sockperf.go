package tcp

import (
	"io"
	"net"

	"netmatrix/internal/wire"
)

// sockperfEcho answers sockperf's TCP ping-pong read from r on c.
// sockperf frames its messages on the byte stream by the length in each
// header; a message that claims more than buf holds, or less than a
// header, ends the connection.
func sockperfEcho(r io.Reader, c net.Conn, buf []byte) {
	for {
		if _, err := io.ReadFull(r, buf[:wire.SockperfHeaderLen]); err != nil {
			return
		}
		n := wire.SockperfLen(buf)
		if n < wire.SockperfHeaderLen || n > len(buf) {
			return
		}
		if _, err := io.ReadFull(r, buf[wire.SockperfHeaderLen:n]); err != nil {
			return
		}
		if wire.SockperfReply(buf[:n]) {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}
