package http

import (
	"bytes"
	"io"

	"netmatrix/internal/bufs"
)

// smallBufSize is the read buffer every connection owns. It holds a whole
// request from wrk or curl (under 100 bytes) and most browsers' (under a
// kilobyte), so the common request is read with one syscall and no pooled
// buffer, and an idle connection costs this much and no more.
const smallBufSize = 1 << 10

// fillHook is told before every read from the source, that is before every
// read that may block. The server flushes pending responses there (so a
// pipelining client is never left waiting for answers sitting in our
// buffer) and arms the read deadline that fits the connection's phase.
type fillHook interface {
	beforeFill() error
}

// reader is a buffered reader we own instead of bufio.Reader, for three
// things bufio cannot do: parse a header section in place, keep that section
// intact ("pinned") while the handler reads the body behind it, and hand
// its buffer back to a pool while the connection is idle.
type reader struct {
	src  io.Reader
	hook fillHook
	buf  []byte
	r, w int // unread bytes are buf[r:w]
	err  error

	// pin is where compaction may move unread bytes to: buf[:pin] holds the
	// live request's header section, which the Request points into.
	pin int
	// pinned is the buffer the live header section lives in. If the body
	// needs more room than buf has, buf is replaced and pinned stays alive
	// until the request ends.
	pinned []byte

	small  []byte  // the connection's own small buffer
	pooled *[]byte // non-nil when buf came from the pool
	keep   *[]byte // a pooled buffer replaced while pinned, freed at unpin
}

func (b *reader) init(src io.Reader, small []byte, hook fillHook) {
	*b = reader{src: src, hook: hook, buf: small, small: small}
}

func (b *reader) buffered() int { return b.w - b.r }

// fill reads once from the source into free space, making room first.
// It returns an error only when it read nothing; the error is sticky.
func (b *reader) fill() error {
	if b.err != nil {
		return b.err
	}
	if b.hook != nil {
		if err := b.hook.beforeFill(); err != nil {
			b.err = err
			return err
		}
	}
	if b.w == len(b.buf) {
		b.makeRoom(len(b.buf) * 2)
	}
	// Some readers return 0, nil; give up after a few rather than spin.
	for range 100 {
		n, err := b.src.Read(b.buf[b.w:])
		b.w += n
		if err != nil {
			b.err = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	b.err = io.ErrNoProgress
	return b.err
}

// makeRoom makes space after w: first by moving unread bytes down to pin,
// then, if that is not enough, by moving to a buffer of at least grow
// bytes.
func (b *reader) makeRoom(grow int) {
	if b.r > b.pin {
		n := copy(b.buf[b.pin:], b.buf[b.r:b.w])
		b.r, b.w = b.pin, b.pin+n
	}
	if b.w < len(b.buf) {
		return
	}
	p := bufs.Get(max(grow, b.w-b.r+1))
	n := copy(*p, b.buf[b.r:b.w])
	switch {
	case b.pin > 0 && sameArray(b.buf, b.pinned):
		// The live header section is in the old buffer: keep it until
		// unpin, and in the new one nothing below the data is pinned.
		b.keep = b.pooled
	default:
		bufs.Put(b.pooled)
	}
	b.buf, b.pooled = *p, p
	b.r, b.w, b.pin = 0, n, 0
}

// pinHeader marks buf[start:end] as the live request's header section.
func (b *reader) pinHeader(end int) {
	b.pin = end
	b.pinned = b.buf
}

// unpin ends the live request: the header section may be overwritten and a
// buffer kept for it goes back to the pool.
func (b *reader) unpin() {
	b.pin = 0
	b.pinned = nil
	if b.keep != nil {
		bufs.Put(b.keep)
		b.keep = nil
	}
}

// idle gives a pooled buffer back while no bytes are pending, so a
// keep-alive connection waiting for its next request holds only its small
// buffer.
func (b *reader) idle() {
	if b.r == b.w {
		b.r, b.w = 0, 0
		if b.pooled != nil {
			bufs.Put(b.pooled)
			b.pooled = nil
			b.buf = b.small
		}
	}
}

// release returns every pooled buffer when the connection ends.
func (b *reader) release() {
	b.unpin()
	bufs.Put(b.pooled)
	b.pooled = nil
	b.buf = nil
}

// readLine returns the next line without its CRLF. A line longer than max
// is an error (too long), and so is a line ending in a bare LF when strict:
// chunk lines must end in CRLF (RFC 9112, section 7.1).
func (b *reader) readLine(max int) (line []byte, err error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(b.buf[b.r+scanned:b.w], '\n'); i >= 0 {
			end := b.r + scanned + i
			if end-b.r > max {
				return nil, errLineTooLong
			}
			line = b.buf[b.r:end]
			b.r = end + 1
			if len(line) == 0 || line[len(line)-1] != '\r' {
				return nil, errBareLF
			}
			return line[:len(line)-1], nil
		}
		scanned = b.w - b.r
		if scanned > max {
			return nil, errLineTooLong
		}
		if err := b.fill(); err != nil {
			return nil, err
		}
	}
}

// read copies buffered bytes into p, reading from the source only when
// nothing is buffered. A large p is filled straight from the source, which
// saves a copy for big bodies.
func (b *reader) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.err
		}
		if len(p) >= len(b.buf) {
			if b.hook != nil {
				if err := b.hook.beforeFill(); err != nil {
					b.err = err
					return 0, err
				}
			}
			n, err := b.src.Read(p)
			if err != nil {
				b.err = err
			}
			return n, err
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

func sameArray(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}
