//go:build linux

package loopback

import (
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/pathtest"
)

func socketBuffers(c net.Conn) (snd, rcv int) {
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, -1
	}
	rc.Control(func(fd uintptr) {
		snd, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
		rcv, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	return snd, rcv
}

// Sizes within the host's limits need no privilege.
func TestSocketBuffers(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	opts := netpath.Options{SendBuffer: 64 << 10, ReceiveBuffer: 32 << 10}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	pathtest.AssertSocketBuffers(t, ctx, p, opts, socketBuffers)
}

// Past them, root forces them (SO_SNDBUFFORCE, SO_RCVBUFFORCE).
func TestSocketBuffersForced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("forcing socket buffers past net.core.wmem_max needs root")
	}
	ctx := pathtest.Context(t, 10*time.Second)
	opts := netpath.Options{SendBuffer: 16 << 20, ReceiveBuffer: 16 << 20}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	pathtest.AssertSocketBuffers(t, ctx, p, opts, socketBuffers)
}
