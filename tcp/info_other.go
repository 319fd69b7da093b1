//go:build !linux

package tcp

import "net"

// Watch has no kernel to ask here: the watch it returns reports only what
// a connection says of itself (InfoConn).
func Watch(c net.Conn) *InfoWatch {
	ic, _ := c.(InfoConn)
	return &InfoWatch{fd: -1, conn: ic}
}

// Info is what the connection says of itself, if it does.
func (w *InfoWatch) Info() map[string]uint64 {
	if w == nil || w.conn == nil {
		return nil
	}
	return w.conn.TCPInfo()
}

// Release does nothing outside Linux.
func (w *InfoWatch) Release() {}
