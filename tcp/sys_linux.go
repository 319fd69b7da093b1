package tcp

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"netmatrix/internal/busypoll"
)

// pollReader reads a host TCP socket with a short busy-poll before
// sleeping: a read that finds nothing keeps trying, yielding the CPU
// between tries, for up to its budget, and only then lets the netpoller
// park the goroutine. In a request/reply exchange the next message comes
// within the budget, so neither the netpoller's park and wake-up nor (when
// the peer runs on another CPU) the cross-CPU wake-up is paid per message.
type pollReader struct {
	c      net.Conn
	rc     syscall.RawConn
	budget time.Duration

	// The outcome of the last read, set by readFn.
	p     []byte
	n     int
	errno syscall.Errno
	// readFn is the RawConn callback, made once so a read allocates no
	// closure.
	readFn func(fd uintptr) bool
}

// newReader returns a reader for c that busy-polls for up to budget, or c
// itself where that is not possible (not a host socket, or budget <= 0).
func newReader(c net.Conn, budget time.Duration) io.Reader {
	tc, ok := c.(*net.TCPConn)
	if !ok || budget <= 0 {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	r := &pollReader{c: c, rc: rc, budget: budget}
	r.readFn = r.doRead
	return r
}

func (r *pollReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.p = p
	err := r.rc.Read(r.readFn)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: r.c.LocalAddr(), Addr: r.c.RemoteAddr(), Err: os.NewSyscallError("read", r.errno)}
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

func (r *pollReader) doRead(fd uintptr) bool {
	if r.try(fd) {
		return true
	}
	return busypoll.Spin(r.budget, func() bool { return r.try(fd) })
}

// try makes one non-blocking read and reports whether it is done.
func (r *pollReader) try(fd uintptr) bool {
	for {
		n, err := unix.Read(int(fd), r.p)
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		case nil:
			r.n, r.errno = n, 0
		default:
			r.n, r.errno = 0, syscall.EIO
			if e, ok := err.(syscall.Errno); ok {
				r.errno = e
			}
		}
		return true
	}
}
