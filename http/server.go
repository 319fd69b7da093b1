package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"netmatrix/internal/neterr"
)

// A Handler answers a request. It must not keep w or r after it returns.
type Handler interface {
	ServeHTTP(w ResponseWriter, r *Request)
}

// HandlerFunc lets an ordinary function be a Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) { f(w, r) }

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("http: server closed")

// Server serves HTTP/1.1 on listeners it is given. Its fields must be set
// before the first Serve and not changed after.
type Server struct {
	// Handler answers every request; nil answers 404 to everything.
	Handler Handler
	// Config holds limits and timeouts; the zero Config is safe.
	Config Config
	// TLSConfig, when set, makes Serve speak TLS on every connection; it
	// needs at least one certificate (see SelfSignedTLS).
	TLSConfig *tls.Config
	// AccessLog, when set, is called after each response is handed to the
	// connection, with the status, body bytes and time since the request's
	// first byte. It runs on the connection's goroutine: keep it quick.
	AccessLog func(r *Request, status int, bytes int64, elapsed time.Duration)
	// ErrorLog, when set, is told about handler panics and failed TLS
	// handshakes; otherwise they are dropped.
	ErrorLog func(err error)

	initOnce sync.Once
	lim      limits

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool // Shutdown or Close was called
	wg        sync.WaitGroup
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.lim = s.Config.withDefaults()
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[*conn]struct{})
	})
}

func (s *Server) shuttingDown() bool { return s.closing.Load() }

// Serve accepts connections on ln and serves each on its own goroutine,
// until ctx is done (then it closes every connection at once), or Shutdown
// or Close is called. ctx is also every Request's Context. Serve returns
// only after all of its connections have ended, so nothing it started
// outlives it; it returns ErrServerClosed after Shutdown or Close, nil when
// ctx ended it, or the error that stopped Accept.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.init()
	if s.shuttingDown() {
		return ErrServerClosed
	}
	s.mu.Lock()
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	var connWG sync.WaitGroup
	defer connWG.Wait()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()

	for {
		// Out of file descriptors, say, Accept waits and retries rather
		// than spin or give up (the same policy as net/http).
		nc, err := neterr.Accept(ctx, ln)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return nil
			case s.shuttingDown():
				return ErrServerClosed
			}
			return err
		}
		c := newConn(s, nc, ctx)
		if !s.track(c) {
			nc.Close()
			continue
		}
		connWG.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer connWG.Done()
			c.serve()
		}()
	}
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown stops the server gracefully: it closes the listeners and the
// idle connections, lets every request in flight finish (its response
// says Connection: close), then returns. If ctx ends first, the remaining
// connections are closed and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closing.Store(true)
	s.closeListeners()
	// Connections go idle one by one as their requests finish; poll rather
	// than have every connection signal, which would cost the hot path.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() == 0 {
			s.wg.Wait()
			return nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once; handlers still
// running see their writes fail. It does not wait for them.
func (s *Server) Close() error {
	s.init()
	s.closing.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	return nil
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	for ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
}

// closeIdle closes connections waiting for a request and returns how many
// connections remain.
func (s *Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.nc.Close()
		}
	}
	return len(s.conns)
}

// ServeGracefully serves ln until ctx is done, then shuts
// down gracefully, giving requests in flight up to grace to finish.
func (s *Server) ServeGracefully(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.WithoutCancel(ctx), ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, ErrServerClosed) {
		return fmt.Errorf("http: serve: %w", serr)
	}
	return err
}
