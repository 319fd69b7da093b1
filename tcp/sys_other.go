//go:build !linux

package tcp

import (
	"io"
	"net"
	"time"
)

// newReader has no busy-polling reader outside Linux: reads go through
// the netpoller as usual.
func newReader(c net.Conn, _ time.Duration) io.Reader { return c }
