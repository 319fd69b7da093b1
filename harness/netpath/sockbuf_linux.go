//go:build linux

package netpath

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// SetSocketBuffers gives a TCP socket of the host's own stack the
// buffers o asks for (SendBuffer, ReceiveBuffer); other sockets, and
// sizes of zero, it leaves alone. It is for a net.ListenConfig's or
// net.Dialer's Control, which runs before the socket listens or
// connects, where the buffers still choose the window scale.
//
// It uses SO_SNDBUFFORCE and SO_RCVBUFFORCE, which pass the host's
// net.core.wmem_max and rmem_max but need CAP_NET_ADMIN over the host
// (root; root of a user namespace is not enough). Without it, it falls
// back to SO_SNDBUF and SO_RCVBUF and fails if the host's limit cut the
// size short, rather than run with less than the record says.
func (o Options) SetSocketBuffers(network, _ string, c syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") || o.SendBuffer == 0 && o.ReceiveBuffer == 0 {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		for _, b := range []struct {
			size        int
			opt, force  int
			name, limit string
		}{
			{o.SendBuffer, unix.SO_SNDBUF, unix.SO_SNDBUFFORCE, "send", "net.core.wmem_max"},
			{o.ReceiveBuffer, unix.SO_RCVBUF, unix.SO_RCVBUFFORCE, "receive", "net.core.rmem_max"},
		} {
			if b.size == 0 || serr != nil {
				continue
			}
			serr = setBuffer(int(fd), b.size, b.opt, b.force)
			if serr != nil {
				serr = fmt.Errorf("netpath: TCP %s buffer of %d bytes: %w (past %s it needs root)", b.name, b.size, serr, b.limit)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("netpath: TCP socket buffers: %w", err)
	}
	return serr
}

// errCapped says the host's limit cut a buffer short.
var errCapped = errors.New("the host's limit holds it smaller")

// setBuffer sets one buffer of socket fd to size: forced where the
// process may, otherwise within the host's limit, checked. Linux keeps
// twice what it is given either way.
func setBuffer(fd, size, opt, force int) error {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size) == nil {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, size); err != nil {
		return err
	}
	got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
	if err != nil {
		return err
	}
	if got < 2*size {
		return fmt.Errorf("%w: %d bytes kept", errCapped, got)
	}
	return nil
}
