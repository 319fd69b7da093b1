package quic

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	quicgo "github.com/quic-go/quic-go"

	"netmatrix/internal/bufs"
	"netmatrix/internal/wire"
)

// Sink receives messages in every shape and reports each arrival as it
// happens: length-prefixed messages on one stream, a message per
// unidirectional stream, datagrams, or a bulk byte stream. When a client
// finishes a stream, the sink closes its side after the last report, so a
// client that reads the end knows everything it sent has been counted.
//
// What one connection can make it hold is bounded by Config: unread data
// in quic-go up to ConnWindow, unfinished messages on their own streams up
// to ConnWindow as well (streams past it are stopped), and a buffer of up
// to 64 KiB, grown as data comes, for each of MaxStreams streams.
type Sink struct {
	// Identity is the certificate the server presents. Nil means
	// DefaultIdentity, which clients in the same process trust by default.
	Identity *Identity
	// Config tunes quic-go; the zero value is netmatrix's default.
	Config Config
	// OnMessage is called for each message with the time it was read:
	// when its last byte came, for a message on its own stream. Calls
	// never overlap, but messages on their own streams are reported in
	// the order they complete, which need not be the order they were
	// sent. msg is valid only during the call. Nil means messages are
	// read and dropped.
	OnMessage func(msg []byte, arrived int64)
	// OnBytes is called for each read of a bulk stream, in order, with
	// the time it was read. chunk is valid only during the call.
	OnBytes func(chunk []byte, arrived int64)
	// OnStreamFrame, if set, is called for every STREAM frame the sink's
	// connections receive, retransmissions included: which bytes of which
	// stream quic-go had, and when, before the application read them.
	// Head-of-line delay on one stream is measured from these
	// (metrics.HeadOfLine): the messages of the one-stream shape are
	// stream 0 from offset 1, after the byte naming the flow. It needs
	// quic-go's qlog trace, so it turns tracing on even with
	// Config.NoTrace. Calls never overlap one another (they may overlap
	// OnMessage's); they run on quic-go's connection goroutines, so keep
	// them short. Nil means no report and no cost.
	OnStreamFrame func(StreamFrame)

	server
	mu      sync.Mutex // serialises OnMessage and OnBytes
	frameMu sync.Mutex // serialises OnStreamFrame
}

// Serve receives on pc until ctx is done or pc fails. It closes pc and
// every connection before it returns.
func (s *Sink) Serve(ctx context.Context, pc net.PacketConn) error {
	var onFrame func(StreamFrame)
	if s.OnStreamFrame != nil {
		onFrame = s.streamFrame
	}
	return s.serve(ctx, pc, s.Identity, s.Config, onFrame, s.handleConn)
}

// handleConn receives what the peer of c sends until c ends.
func (s *Sink) handleConn(c *quicgo.Conn) {
	done := newTally()
	held := &unfinished{limit: int64(s.Config.withDefaults().ConnWindow)}
	acceptLoops(c,
		func(st *quicgo.Stream) { s.stream(c, st, done) },
		func(st *quicgo.ReceiveStream) {
			s.ownStream(st, held)
			done.add()
		},
		s.message)
}

// streamFrame reports f, one call at a time across connections.
func (s *Sink) streamFrame(f StreamFrame) {
	s.frameMu.Lock()
	defer s.frameMu.Unlock()
	s.OnStreamFrame(f)
}

// unfinished counts the bytes of messages on their own streams that a
// Sink has read on one connection but cannot report yet, the streams not
// being finished. quic-go's flow control bounds what a connection's
// streams hold unread to its window, but the sink reads them as they come
// and so returns the credit: without a bound of its own, 2,000 streams of
// a megabyte each, never finished, held 2.5 GB. It holds no more than the
// window either, so a connection costs the sink at most twice its window
// in stream data.
type unfinished struct {
	held  atomic.Int64
	limit int64
}

// take counts n more bytes held and reports whether all held stay
// within the limit.
func (u *unfinished) take(n int) bool { return u.held.Add(int64(n)) <= u.limit }

// give forgets n bytes take counted.
func (u *unfinished) give(n int) { u.held.Add(-int64(n)) }

// ownStream reads a stream per message to its end and reports the
// message. Its buffer grows as the message arrives; a stream that would
// take the connection's unfinished messages past their limit is stopped
// (codeBusy), as is one longer than wire.MaxFrame (codeTooLarge).
func (s *Sink) ownStream(st *quicgo.ReceiveStream, held *unfinished) {
	// One byte over the largest message tells a message that is too
	// large from one that is exactly the largest.
	buf := bufs.New(wire.MaxFrame + 1)
	defer buf.Release()
	n := 0
	defer func() { held.give(n) }()
	for {
		room := buf.Bytes()
		if n == len(room) {
			room = buf.Grow(2*n, n)
		}
		k, err := st.Read(room[n:])
		n += k
		within := held.take(k)
		switch {
		case n > wire.MaxFrame:
			st.CancelRead(codeTooLarge)
			return
		case !within:
			st.CancelRead(codeBusy)
			return
		case err == io.EOF:
			// The whole stream is the message.
			s.message(room[:n])
			return
		case err != nil:
			return // the client gave up on it, or the connection ended
		}
	}
}

func (s *Sink) message(msg []byte) { s.report(s.OnMessage, msg) }
func (s *Sink) bytes(chunk []byte) { s.report(s.OnBytes, chunk) }

// report stamps b with its arrival and hands it to f, one call at a time.
func (s *Sink) report(f func([]byte, int64), b []byte) {
	now := wire.Now()
	if f == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f(b, now)
}

// stream serves one bidirectional stream, by its first byte.
func (s *Sink) stream(c *quicgo.Conn, st *quicgo.Stream, done *tally) {
	buf := bufs.New(maxRead)
	defer buf.Release()
	var kind [1]byte
	if _, err := io.ReadFull(st, kind[:]); err != nil {
		abort(st, codeBadFlow)
		return
	}
	var err error
	switch kind[0] {
	case flowMessages:
		for {
			var msg []byte
			if msg, err = wire.ReadFrame(st, &buf); err != nil {
				break
			}
			s.message(msg)
		}
	case flowBulk:
		for {
			n, rerr := st.Read(buf.Bytes())
			if n > 0 {
				s.bytes(buf.Bytes()[:n])
			}
			if err = rerr; err != nil {
				break
			}
			buf.Filled(n)
		}
	case flowFinish:
		var count [8]byte
		if _, err = io.ReadFull(st, count[:]); err == nil {
			err = done.wait(c.Context(), int64(binary.BigEndian.Uint64(count[:])))
		}
		if err == nil {
			err = io.EOF
		}
	default:
		abort(st, codeBadFlow)
		return
	}
	if !errors.Is(err, io.EOF) {
		abort(st, codeClientEnd)
		return
	}
	// Everything the client sent on this stream has been reported.
	st.Close()
}

// tally counts the streams-per-message of one connection the sink is done
// with, so a finish request can wait until it has them all.
type tally struct {
	mu      sync.Mutex
	n       int64
	changed chan struct{} // closed and replaced at each add
}

func newTally() *tally { return &tally{changed: make(chan struct{})} }

func (t *tally) add() {
	t.mu.Lock()
	t.n++
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

// wait returns once the count reaches want, or with ctx's error.
func (t *tally) wait(ctx context.Context, want int64) error {
	for {
		t.mu.Lock()
		n, ch := t.n, t.changed
		t.mu.Unlock()
		if n >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
