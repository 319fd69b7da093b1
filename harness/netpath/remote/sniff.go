package remote

import (
	"net"
	"time"
)

// SniffTimeout is how long a connection to the shared port may stay
// silent before it is taken for an echo client: a person typing into nc,
// say, whose first line is slow to come.
const SniffTimeout = 5 * time.Second

// A Splitter shares one TCP port between the RFC 862 echo server and the
// control channel, so `compare serve -listen ADDR` is one address to give
// a client and one port to open. It looks at a connection's first bytes
// without taking them (MSG_PEEK, where the system has it): a TLS
// ClientHello (a handshake record, 0x16 0x03 0x0N) goes to the control
// channel; anything else, or nothing within SniffTimeout, goes to the
// echo server untouched, so nc, socat and sockperf see the echo they
// always did. An RFC 862 client could only be mistaken for TLS by
// sending a TLS record header first; sockperf's first bytes are a
// sequence number's high bytes, zero. Each connection is looked at in a
// goroutine of its own: an idle one holds up no other.
type Splitter struct {
	*vetListener
}

// Split starts sharing ln: Accept on the returned Splitter yields the
// echo server's connections; control is called, in a goroutine of its
// own, with each TLS one. Close stops sharing and closes the listener
// and the connections not yet handed over (those handed to the control
// channel are its to close); Wait waits for those being looked at and
// for control's calls.
func Split(ln net.Listener, control func(net.Conn)) *Splitter {
	return &Splitter{newVetListener(ln, sniff, control)}
}

// sniff peeks at a connection's first bytes: a TLS record goes to the
// control channel, anything else to the echo server.
func sniff(c net.Conn) (net.Conn, bool) {
	head, c := peek(c, 3, time.Now().Add(SniffTimeout))
	return c, !isTLS(head)
}

// isTLS reports whether b starts a TLS handshake record (RFC 8446,
// section 5.1): content type 22, legacy version 3.x.
func isTLS(b []byte) bool {
	return len(b) == 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}
