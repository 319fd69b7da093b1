//go:build linux

package sockfd

import (
	"net"

	"golang.org/x/sys/unix"
)

// Dup returns a second descriptor of c's socket, close-on-exec, where c
// is a kernel TCP connection (*net.TCPConn): the socket stays open until
// the caller closes fd, whenever c closes. ok is false for any other
// conn, or where the socket cannot be had (c closed).
func Dup(c net.Conn) (fd int, ok bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return -1, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1, false
	}
	dup := -1
	if err := rc.Control(func(fd uintptr) { dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil || dup < 0 {
		return -1, false
	}
	return dup, true
}
