package quic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"netmatrix/internal/wire"

	quicgo "github.com/quic-go/quic-go"
)

// The first byte of a bidirectional stream to a Sink says what follows,
// as the first byte of a TCP connection to tcp.Sink does.
const (
	flowMessages = wire.FlowMessages
	flowBulk     = wire.FlowBulk
	// flowFinish asks the sink to close the stream once it has reported
	// the messages of as many streams-per-message as the 8-byte count
	// that follows says.
	flowFinish = 'F'
)

// Application error codes this package closes streams and connections
// with; quic-go shows them in the peer's error.
const (
	codeOK        = 0
	codeBadFlow   = 1 // a stream that did not start with a known flow byte
	codeTooLarge  = 2 // a message over wire.MaxFrame
	codeStopped   = 3 // the server is shutting down
	codeClientEnd = 4 // the client went away without finishing
	// codeBusy refuses what would pass a limit: a connection from an
	// address with as many as it may have, a stream per message that
	// would take the unfinished messages past the connection's window.
	codeBusy = 5
)

// server is what EchoServer and Sink share: the counters of every
// connection they serve.
type server struct {
	once sync.Once
	cnt  *counters
}

func (s *server) counters() *counters {
	s.once.Do(func() { s.cnt = newCounters() })
	return s.cnt
}

// Stats is what quic-go did on every connection served so far.
func (s *server) Stats() Stats { return s.counters().stats() }

// serve runs a QUIC server on pc until ctx is done, calling handle for
// each connection in its own goroutine; handle returns when it is done
// with the connection. onFrame, if set, is told of every STREAM frame
// received. When serve returns, every connection is closed, every
// handler has returned, and pc is closed.
func (s *server) serve(ctx context.Context, pc net.PacketConn, id *Identity, cfg Config, onFrame func(StreamFrame), handle func(c *quicgo.Conn)) error {
	if id == nil {
		var err error
		if id, err = DefaultIdentity(); err != nil {
			pc.Close()
			return err
		}
	}
	tr := &quicgo.Transport{Conn: pc}
	cnt := s.counters()
	qc := cfg.quicConfig(cnt, onFrame)
	conns := newSources(cfg.withDefaults().MaxConnsPerSource)
	perConn := qc.Clone()
	qc.GetConfigForClient = func(info *quicgo.ClientInfo) (*quicgo.Config, error) {
		if conns.full(sourceOf(info.RemoteAddr)) {
			return nil, errTooManyConns
		}
		return perConn, nil
	}
	ln, err := tr.Listen(id.ServerTLS(), qc)
	if err != nil {
		tr.Close()
		pc.Close()
		return fmt.Errorf("quic: listen on %s: %w", pc.LocalAddr(), err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		ln.Close()
		wg.Wait()
		// The transport does not close a socket it was given.
		tr.Close()
		pc.Close()
	}()
	for {
		c, err := ln.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, quicgo.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("quic: accept: %w", err)
		}
		src := sourceOf(c.RemoteAddr())
		if !conns.add(src) {
			c.CloseWithError(codeBusy, errTooManyConns.Error())
			continue
		}
		cnt.open(c)
		wg.Go(func() {
			defer conns.done(src)
			stop := context.AfterFunc(ctx, func() { c.CloseWithError(codeStopped, "server stopped") })
			defer stop()
			handle(c)
			c.CloseWithError(codeOK, "")
			cnt.close(c)
		})
	}
}

// acceptLoops runs onStream for every bidirectional stream and onUni (if
// not nil) for every unidirectional one the peer opens, each in its own
// goroutine so a stream waiting for lost data holds up no other, and
// onDatagram for each datagram, until the connection ends; then it waits
// for them all.
func acceptLoops(c *quicgo.Conn, onStream func(*quicgo.Stream), onUni func(*quicgo.ReceiveStream), onDatagram func([]byte)) {
	ctx := c.Context()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { acceptEach(ctx, &wg, c.AcceptStream, onStream) })
	if onUni != nil {
		wg.Go(func() { acceptEach(ctx, &wg, c.AcceptUniStream, onUni) })
	}
	wg.Go(func() {
		for {
			d, err := c.ReceiveDatagram(ctx)
			if err != nil {
				return
			}
			onDatagram(d)
		}
	})
}

// acceptEach hands each stream accept returns to handle in a goroutine of
// wg, until accept fails.
func acceptEach[S any](ctx context.Context, wg *sync.WaitGroup, accept func(context.Context) (S, error), handle func(S)) {
	for {
		st, err := accept(ctx)
		if err != nil {
			return
		}
		wg.Go(func() { handle(st) })
	}
}

// abort cancels both directions of a stream that ends in error, so the
// peer hears of it instead of waiting.
func abort(st *quicgo.Stream, code quicgo.StreamErrorCode) {
	st.CancelRead(code)
	st.CancelWrite(code)
}

// readAll reads a stream to its end; a stream longer than limit bytes is
// an error rather than a reason to keep allocating.
func readAll(r io.Reader, limit int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}
