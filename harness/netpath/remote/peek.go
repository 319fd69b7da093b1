package remote

import (
	"net"
	"time"
)

// isTLSPrefix reports whether b could be the start of a TLS record
// header.
func isTLSPrefix(b []byte) bool {
	full := []byte{0x16, 0x03}
	for i := range min(len(b), 2) {
		if b[i] != full[i] {
			return false
		}
	}
	return len(b) < 3 || b[2] <= 0x04
}

// peekRead is peek where the system has no MSG_PEEK for c: it reads the
// bytes and hands back a connection that reads them again first.
func peekRead(c net.Conn, n int, deadline time.Time) ([]byte, net.Conn) {
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, n)
	got := 0
	for got < n && isTLSPrefix(buf[:got]) {
		k, err := c.Read(buf[got:])
		got += k
		if err != nil {
			break
		}
	}
	return buf[:got], &prefixed{Conn: c, head: buf[:got]}
}

// prefixed is a connection whose first bytes were read already.
type prefixed struct {
	net.Conn
	head []byte
}

func (p *prefixed) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
