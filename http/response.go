package http

import (
	"errors"
	"strconv"

	"netmatrix/internal/bufs"
)

// ResponseWriter is how a handler answers. Nothing is sent until the
// handler returns, unless the body outgrows the response buffer or the
// handler calls Flush: a small response goes out as one write with a
// Content-Length, and pipelined responses share that write.
type ResponseWriter interface {
	// Header is the response header to fill before WriteHeader or the
	// first Write. The server sets Date, Content-Length or
	// Transfer-Encoding, and Connection itself.
	Header() *Header
	// WriteHeader sets the status code; only the first call counts.
	WriteHeader(code int)
	// Write adds to the body, after WriteHeader(200) if no status is set.
	Write(p []byte) (int, error)
	// WriteString is Write for a string, without a conversion.
	WriteString(s string) (int, error)
	// Flush sends what is buffered now; the body then goes out chunked
	// unless the handler set a Content-Length. It fails once the client
	// has gone (the write after its close is refused), so a handler that
	// streams (server-sent events) and flushes now and then learns of it
	// within a write or two and can stop.
	Flush() error
}

// ErrBodyNotAllowed is returned by Write for a response that has no body:
// HEAD requests are counted but not sent, 204 and 304 carry nothing.
var ErrBodyNotAllowed = errors.New("http: request method or response status code does not allow body")

// ErrHandlerWrite is returned by Write after a failed write to the client.
var ErrHandlerWrite = errors.New("http: write to client failed")

// maxBufferedBody is how much body a response holds before it commits to
// chunked encoding (or its declared Content-Length) and streams.
const maxBufferedBody = 32 << 10

// response is the server's ResponseWriter, one per connection, reused.
type response struct {
	c         *conn
	req       *Request
	header    Header
	status    int
	committed bool  // status line and header are in c.out
	chunked   bool  // body goes out in chunks
	clen      int64 // Content-Length when committed, -1 if not fixed
	written   int64 // body bytes the handler wrote
	body      []byte
	bodyBuf   *[]byte
	err       error
}

func (w *response) reset(req *Request) {
	w.header.reset()
	w.req = req
	w.status = 0
	w.committed, w.chunked = false, false
	w.clen, w.written = -1, 0
	w.body = w.body[:0]
	w.err = nil
}

func (w *response) Header() *Header { return &w.header }

func (w *response) WriteHeader(code int) {
	if w.status != 0 || code < 200 || code > 999 {
		// Interim (1xx) responses other than the automatic 100 Continue
		// are not supported; a later status cannot replace the first.
		return
	}
	w.status = code
}

// bodyAllowed reports whether the response carries body bytes on the wire.
func (w *response) bodyAllowed() bool {
	return w.req.Method != "HEAD" && w.status != StatusNoContent && w.status != StatusNotModified
}

func (w *response) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = StatusOK
	}
	if w.err != nil {
		return 0, w.err
	}
	w.written += int64(len(s))
	if !w.bodyAllowed() {
		if w.req.Method == "HEAD" {
			return len(s), nil
		}
		return 0, ErrBodyNotAllowed
	}
	if !w.committed && len(w.body)+len(s) <= maxBufferedBody {
		if w.bodyBuf == nil {
			// More writes usually follow the first: room for a small
			// page, so they do not reallocate.
			w.bodyBuf = bufs.Get(max(len(s), 4<<10))
			w.body = (*w.bodyBuf)[:0]
		}
		w.body = append(w.body, s...)
		return len(s), nil
	}
	if !w.committed {
		w.commit(false)
	}
	w.c.appendBody(w, s)
	if w.c.err != nil {
		w.err = ErrHandlerWrite
		return 0, w.err
	}
	return len(s), nil
}

func (w *response) Write(p []byte) (int, error) {
	// The conversion does not allocate: WriteString does not keep s.
	return w.WriteString(unsafeString(p))
}

func (w *response) Flush() error {
	if w.status == 0 {
		w.status = StatusOK
	}
	if !w.committed {
		w.commit(false)
	}
	if err := w.c.flush(); err != nil {
		w.err = ErrHandlerWrite
		return err
	}
	return nil
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	if w.status == 0 {
		w.status = StatusOK
	}
	if !w.committed {
		w.commit(true)
		return
	}
	switch {
	case w.chunked:
		w.c.out = append(w.c.out, "0\r\n\r\n"...)
	case w.clen >= 0 && w.written != w.clen && w.bodyAllowed():
		// The handler declared a length it did not write: the client
		// cannot tell where this response ends, so the connection must.
		w.c.closeAfter = true
	}
}

// commit writes the status line and header into the connection's output
// buffer, then the buffered body. final means the handler has returned, so
// the whole body is known and gets a Content-Length.
func (w *response) commit(final bool) {
	c := w.c
	w.committed = true
	c.grabOut(len(w.body))
	b := appendStatusLine(c.out, w.status)
	hasDate := false
	declared := int64(-1)
	for _, f := range w.header.fields {
		name, value := w.header.name(f), w.header.value(f)
		if !validFieldName(name) || !validFieldValue(value) {
			// A CR or LF here would let a handler's data split the
			// response; drop the field rather than send it.
			continue
		}
		switch len(name) {
		case 4:
			if equalFold(name, "date") {
				hasDate = true
			}
		case 10:
			if equalFold(name, "connection") {
				forEachListItem(value, func(tok []byte) {
					if equalFold(tok, "close") {
						c.closeAfter = true
					}
				})
				continue // written below, from closeAfter
			}
		case 14:
			if equalFold(name, "content-length") {
				if n, ok := parseDecimal(value); ok {
					declared = n
				}
				continue
			}
		case 17:
			if equalFold(name, "transfer-encoding") {
				continue // the server decides the framing
			}
		}
		b = append(b, name...)
		b = append(b, ": "...)
		b = append(b, value...)
		b = append(b, "\r\n"...)
	}
	if !hasDate {
		b = dates.appendLine(b, c.now)
	}

	// Framing (RFC 9112, section 6): 1xx, 204 and 304 have no body and
	// 204 no Content-Length; otherwise a known length, else chunked for
	// HTTP/1.1, else the body ends when the connection closes.
	switch {
	case w.status == StatusNoContent:
	case w.status == StatusNotModified:
		if declared >= 0 {
			b = appendContentLength(b, declared)
		}
	case declared >= 0:
		w.clen = declared
		b = appendContentLength(b, declared)
	case final && (w.written > 0 || w.req.Method != "HEAD"):
		w.clen = w.written
		b = appendContentLength(b, w.written)
	case final:
		// HEAD whose handler wrote nothing: the length is unknown, so
		// none is claimed.
	case w.req.ProtoMinor >= 1:
		w.chunked = true
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	default:
		c.closeAfter = true
	}
	if c.req.Close || c.srv.shuttingDown() || c.req.expect100 && !c.bd.done() {
		// The last: a client told to wait for 100 Continue that did not
		// get it may or may not send the body, so the connection cannot
		// carry another request.
		c.closeAfter = true
	}
	switch {
	case c.closeAfter:
		b = append(b, "Connection: close\r\n"...)
	case w.req.ProtoMinor == 0:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.out = b
	if len(w.body) > 0 {
		body := w.body
		w.body = w.body[:0]
		c.appendBody(w, unsafeString(body))
	}
}

func appendContentLength(b []byte, n int64) []byte {
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "\r\n"...)
}

// release gives the body buffer back between batches.
func (w *response) release() {
	bufs.Put(w.bodyBuf)
	w.bodyBuf = nil
	w.body = nil
}

func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isToken[c] {
			return false
		}
	}
	return true
}

func validFieldValue(b []byte) bool {
	for _, c := range b {
		if !isFieldVal[c] {
			return false
		}
	}
	return true
}
