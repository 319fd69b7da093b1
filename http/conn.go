package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"netmatrix/internal/bufs"
	"netmatrix/internal/neterr"
)

// Connection states, for Shutdown to find the idle ones.
const (
	stateActive int32 = iota
	stateIdle
	stateClosed
)

// Read phases, each with its own deadline.
const (
	phaseIdle   = iota // waiting for a request's first byte: IdleTimeout
	phaseHeader        // inside a header section: ReadHeaderTimeout
	phaseBody          // inside a body: ReadTimeout
)

// flushThreshold is when buffered output goes out even though more
// pipelined requests are waiting.
const flushThreshold = 32 << 10

// conn is one client connection and everything it reuses from request to
// request, so that serving a request allocates nothing.
type conn struct {
	srv   *Server
	lim   *limits
	nc    net.Conn
	state atomic.Int32

	rd    reader
	bd    body
	req   Request
	resp  response
	cache strCache

	out    []byte // responses not yet written
	outBuf *[]byte
	err    error // sticky write error

	phase        int
	now          time.Time // when the current request's first byte was seen
	readDeadline time.Time // the read deadline last set
	wDeadline    time.Time // the write deadline last set
	closeAfter   bool

	small [smallBufSize]byte
}

func newConn(s *Server, nc net.Conn, ctx context.Context) *conn {
	c := &conn{srv: s, lim: &s.lim, nc: nc}
	c.req.ctx = ctx
	c.req.RemoteAddr = nc.RemoteAddr().String()
	c.resp.c = c
	c.bd.sendContinue = c.sendContinue
	return c
}

// serve runs the connection's request loop.
func (c *conn) serve() {
	defer c.close()
	if c.srv.TLSConfig != nil {
		if !c.handshake() {
			return
		}
	}
	c.rd.init(c.nc, c.small[:], c)
	for {
		c.req.reset()
		if c.rd.buffered() == 0 {
			// Nothing pending: send what we have and wait for the next
			// request holding as little memory as we can.
			now := time.Now()
			if c.flushAt(now) != nil {
				return
			}
			c.release()
			if !c.state.CompareAndSwap(stateActive, stateIdle) || c.srv.shuttingDown() {
				return
			}
			c.phase = phaseIdle
			c.armRead(now, c.lim.idle)
			err := c.rd.fill()
			if !c.state.CompareAndSwap(stateIdle, stateActive) || err != nil {
				return
			}
		}
		c.now = time.Now()
		c.phase = phaseHeader
		if err := readRequest(&c.rd, &c.req, &c.bd, c.lim, &c.cache); err != nil {
			c.refuse(err)
			return
		}
		c.phase = phaseBody
		if !c.handle() {
			c.flush()
			return
		}
	}
}

// handle runs the handler for the parsed request and completes its
// response. It reports whether the connection may serve another request.
func (c *conn) handle() bool {
	w := &c.resp
	w.reset(&c.req)
	c.closeAfter = false
	if c.req.Method == "CONNECT" {
		// We are an origin server, not a proxy.
		c.writeError(StatusNotImplemented, ErrMethodSupport)
		return false
	}
	if !c.callHandler() {
		return false
	}
	// A body the handler read into trouble (too large, malformed) while its
	// response was still only buffered gets the error status instead.
	if err := c.bd.err; err != nil && err != io.EOF && !w.committed {
		c.writeError(StatusOf(err), err)
		return false
	}
	w.finish()
	if log := c.srv.AccessLog; log != nil {
		log(&c.req, w.status, w.written, time.Since(c.now))
	}
	keep := !c.closeAfter && c.err == nil && c.discardBody()
	c.rd.unpin()
	if len(c.out) >= flushThreshold && c.flush() != nil {
		return false
	}
	return keep
}

// callHandler runs the handler and turns a panic into a 500 and a closed
// connection: one bad request must not take the server down.
func (c *conn) callHandler() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if el := c.srv.ErrorLog; el != nil {
				el(fmt.Errorf("http: panic serving %s: %v\n%s", c.req.RemoteAddr, p, debug.Stack()))
			}
			if !c.resp.committed {
				c.writeError(StatusInternalServerError, errors.New("http: handler panicked"))
			}
			ok = false
		}
	}()
	h := c.srv.Handler
	if h == nil {
		h = notFoundHandler
	}
	h.ServeHTTP(&c.resp, &c.req)
	return true
}

// discardBody reads what is left of the body so the next request can be
// parsed, up to MaxDiscardBytes. It reports whether the connection can go
// on.
func (c *conn) discardBody() bool {
	if c.bd.done() {
		return true
	}
	if c.bd.err != nil {
		return false
	}
	if c.req.expect100 {
		// The client is waiting for our word before it sends the body;
		// we answered without asking for it, so it may never come.
		return false
	}
	var scratch [512]byte
	start := c.bd.total
	for c.bd.total-start <= c.lim.maxDiscard {
		_, err := c.bd.Read(scratch[:])
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// refuse answers a request that could not be parsed, if there is anyone
// to answer.
func (c *conn) refuse(err error) {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		c.writeError(re.Status, re.Err)
	case neterr.IsTimeout(err) && c.phase == phaseHeader && c.rd.buffered() > 0:
		// Slowloris, or just a slow client: say so before closing.
		c.writeError(StatusRequestTimeout, err)
	}
	c.flush()
}

// writeError replaces whatever the current response buffered with a short
// error response that closes the connection.
func (c *conn) writeError(status int, err error) {
	w := &c.resp
	if c.resp.req == nil {
		w.reset(&c.req)
	}
	w.body = w.body[:0]
	text := StatusText(status)
	if text == "" {
		text = "Error"
	}
	c.grabOut(0)
	b := appendStatusLine(c.out, status)
	b = dates.appendLine(b, time.Now())
	b = append(b, "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"...)
	msg := fmt.Sprintf("%d %s: %v\n", status, text, err)
	b = appendContentLength(b, int64(len(msg)))
	b = append(b, "\r\n"...)
	if c.req.Method != "HEAD" {
		b = append(b, msg...)
	}
	c.out = b
	w.status, w.committed = status, true
	c.closeAfter = true
	if log := c.srv.AccessLog; log != nil {
		// Refused requests get a line too, with as much of the request
		// line as was understood.
		log(&c.req, status, int64(len(msg)), time.Since(c.now))
	}
}

// appendBody adds body bytes to the output, framed for chunked encoding
// when needed, and writes them out when the buffer grows large.
func (c *conn) appendBody(w *response, s string) {
	if len(s) == 0 {
		return
	}
	c.grabOut(len(s))
	if w.chunked {
		c.out = appendHex(c.out, len(s))
		c.out = append(c.out, "\r\n"...)
	}
	c.out = append(c.out, s...)
	if w.chunked {
		c.out = append(c.out, "\r\n"...)
	}
	if len(c.out) >= flushThreshold {
		c.flush()
	}
}

// grabOut makes sure the output buffer is a pooled one with room for a
// response header and n body bytes, so appends do not allocate.
func (c *conn) grabOut(n int) {
	if c.outBuf == nil {
		c.outBuf = bufs.Get(len(c.out) + n + 1024)
		c.out = append((*c.outBuf)[:0], c.out...)
	}
}

func appendHex(b []byte, n int) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&15]
		n >>= 4
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// sendContinue tells a client that sent "Expect: 100-continue" to go on
// with the body (RFC 9110, section 10.1.1).
func (c *conn) sendContinue() {
	c.grabOut(0)
	c.out = append(c.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
	c.flush()
}

// flush writes the buffered responses in one write.
func (c *conn) flush() error { return c.flushAt(time.Time{}) }

// flushAt is flush for a caller that already read the clock (the zero
// time if not): reading it costs as much as parsing a small request.
func (c *conn) flushAt(now time.Time) error {
	if c.err != nil {
		return c.err
	}
	if len(c.out) == 0 {
		return nil
	}
	if d := c.lim.write; d > 0 {
		if now.IsZero() {
			now = time.Now()
		}
		// Moving a deadline costs a timer update; skip it while the one
		// set is still at least 3/4 of the timeout away.
		if c.wDeadline.Sub(now) < d*3/4 {
			c.wDeadline = now.Add(d)
			c.nc.SetWriteDeadline(c.wDeadline)
		}
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		c.err = err
	}
	return err
}

// release hands the pooled buffers back while the connection waits.
func (c *conn) release() {
	c.rd.idle()
	bufs.Put(c.outBuf)
	c.outBuf, c.out = nil, nil
	c.resp.release()
}

// beforeFill is called by the reader before each read from the network:
// send what is pending (a pipelining client may be waiting for it) and
// arm the deadline of the current phase.
func (c *conn) beforeFill() error {
	if err := c.flush(); err != nil {
		return err
	}
	switch c.phase {
	case phaseHeader:
		c.armRead(c.now, c.lim.readHeader)
	case phaseBody:
		c.armRead(c.now, c.lim.read)
	}
	return nil
}

// armRead sets the read deadline to from+d. A deadline close enough to the
// one already set is left alone: re-arming costs a timer update, and the
// hot keep-alive loop would do it twice a request.
func (c *conn) armRead(from time.Time, d time.Duration) {
	if d <= 0 {
		if !c.readDeadline.IsZero() {
			c.readDeadline = time.Time{}
			c.nc.SetReadDeadline(c.readDeadline)
		}
		return
	}
	want := from.Add(d)
	if diff := want.Sub(c.readDeadline); diff >= 0 && diff < d/4 {
		return
	}
	c.readDeadline = want
	c.nc.SetReadDeadline(want)
}

// handshake runs the TLS handshake within the header timeout.
func (c *conn) handshake() bool {
	tc := tls.Server(c.nc, c.srv.TLSConfig)
	c.nc = tc
	if d := c.lim.readHeader; d > 0 {
		tc.SetDeadline(time.Now().Add(d))
	}
	if err := tc.HandshakeContext(c.req.Context()); err != nil {
		if el := c.srv.ErrorLog; el != nil {
			el(fmt.Errorf("http: TLS handshake from %s: %w", c.req.RemoteAddr, err))
		}
		return false
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.req.TLS = &st
	return true
}

// close ends the connection. When we close with the client's bytes still
// unread, the kernel answers with a reset that can destroy the response we
// just sent; half-closing and reading what is left, briefly, lets the
// response arrive first.
func (c *conn) close() {
	c.state.Store(stateClosed)
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && c.err == nil && c.rd.err != io.EOF {
		if cw.CloseWrite() == nil {
			c.nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			var scratch [512]byte
			for range 128 {
				if _, err := c.nc.Read(scratch[:]); err != nil {
					break
				}
			}
		}
	}
	c.nc.Close()
	c.rd.release()
	c.release()
	c.srv.untrack(c)
}

var notFoundHandler = HandlerFunc(func(w ResponseWriter, r *Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(StatusNotFound)
	w.WriteString("404 page not found\n")
})
