package remote

import (
	"bytes"
	"net"
	"time"
)

// bufConn is a net.Conn that writes to a buffer, for the channel's
// writes.
type bufConn struct {
	net.Conn
	*bytes.Buffer
}

func (c *bufConn) Write(p []byte) (int, error)      { return c.Buffer.Write(p) }
func (c *bufConn) Read(p []byte) (int, error)       { return c.Buffer.Read(p) }
func (c *bufConn) SetWriteDeadline(time.Time) error { return nil }
func (c *bufConn) SetReadDeadline(time.Time) error  { return nil }
