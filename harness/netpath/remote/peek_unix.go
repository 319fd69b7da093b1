//go:build unix

package remote

import (
	"net"
	"syscall"
	"time"
)

// peek returns up to n of c's first bytes without taking them from it,
// waiting until n have come, until they cannot start a TLS record, or
// until deadline. The connection comes back as it was, a socket still,
// so whoever takes it keeps its fast paths (busy polling, TCP_INFO).
func peek(c net.Conn, n int, deadline time.Time) ([]byte, net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peekRead(c, n, deadline)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, c
	}
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, n)
	var got int
	for time.Now().Before(deadline) {
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			got, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK)
			return rerr != syscall.EAGAIN
		})
		if err != nil || rerr != nil || got == 0 || got == n || !isTLSPrefix(buf[:got]) {
			break
		}
		// A part of a TLS header: the rest is on its way.
		time.Sleep(time.Millisecond)
	}
	return buf[:max(got, 0)], c
}
