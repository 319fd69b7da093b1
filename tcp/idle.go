package tcp

import (
	"io"
	"net"
	"time"

	"netmatrix/internal/neterr"
)

// DefaultIdleTimeout is the IdleTimeout a zero value stands for. A bulk
// transfer on a path that loses most of its packets can go quiet for
// seconds while TCP's retransmission timer backs off; a minute is far
// past that, and still frees a forgotten connection.
const DefaultIdleTimeout = 60 * time.Second

// idleTimeout resolves an IdleTimeout setting: zero is the default,
// negative none.
func idleTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultIdleTimeout
	}
	return max(d, 0)
}

// idleConn ends a connection that makes no progress for a period, at no
// cost per read or write: each direction's deadline is set once a period,
// not per call. When a deadline passes during a call, the call goes on
// under a new one if the connection made progress in the period just
// ended, and fails with the timeout if it did not. So a silent connection
// is cut off between one and two periods after it went quiet, and a
// client that never reads its echo, once its buffers are full, the same.
//
// Reads count as progress for every byte, unless wholeMessages is set:
// then only the handler's call to madeProgress does, once per whole
// message, and a client that trickles a message byte by byte is cut off
// as one that sends nothing.
type idleConn struct {
	c      net.Conn
	r      io.Reader // c, or a faster reader of it
	period time.Duration

	wholeMessages bool
	read, wrote   bool // progress in the current period
}

// newIdleConn arms c's deadlines for period; a period of zero or less
// sets none, and reads and writes go straight through.
func newIdleConn(c net.Conn, r io.Reader, period time.Duration) *idleConn {
	ic := &idleConn{c: c, r: r, period: period}
	if period > 0 {
		// The first write may come late in the first period, after a
		// quiet start: it is not held against the client.
		ic.wrote = true
		_ = c.SetDeadline(time.Now().Add(period))
	}
	return ic
}

// madeProgress says the connection did something worth another period:
// a whole message arrived.
func (ic *idleConn) madeProgress() { ic.read = true }

func (ic *idleConn) Read(p []byte) (int, error) {
	for {
		n, err := ic.r.Read(p)
		if n > 0 && !ic.wholeMessages {
			ic.read = true
		}
		if err == nil || !ic.renew(err, false) {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (ic *idleConn) Write(p []byte) (int, error) {
	done := 0
	for {
		n, err := ic.c.Write(p[done:])
		done += n
		if n > 0 {
			ic.wrote = true
		}
		if err == nil || !ic.renew(err, true) {
			return done, err
		}
	}
}

// renew reports whether a read (or write) that failed with err should go
// on: its deadline passed at the end of a period with progress. It then
// clears the progress and sets the deadline a period on.
func (ic *idleConn) renew(err error, write bool) bool {
	progress, set := &ic.read, ic.c.SetReadDeadline
	if write {
		progress, set = &ic.wrote, ic.c.SetWriteDeadline
	}
	if ic.period <= 0 || !*progress || !neterr.IsTimeout(err) {
		return false
	}
	*progress = false
	return set(time.Now().Add(ic.period)) == nil
}
