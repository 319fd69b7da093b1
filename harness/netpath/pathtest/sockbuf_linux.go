//go:build linux

package pathtest

import (
	"net"

	"golang.org/x/sys/unix"
)

// KernelSocketBuffers reads the send and receive buffer sizes of c, a
// kernel TCP conn, as Linux keeps them (SO_SNDBUF, SO_RCVBUF); -1 where
// it cannot.
func KernelSocketBuffers(c net.Conn) (snd, rcv int) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return -1, -1
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1, -1
	}
	snd, rcv = -1, -1
	rc.Control(func(fd uintptr) {
		snd, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
		rcv, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	return snd, rcv
}
