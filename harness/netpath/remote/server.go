package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/netpath"
	"netmatrix/internal/wire"
)

// Timeouts of the server's side of the control channel. Every read and
// write has one, so a client that stops midway (or never starts) costs a
// goroutine and a socket for a few seconds at most, and never holds up
// another client.
const (
	// handshakeTimeout bounds the TLS handshake and the hello after it.
	handshakeTimeout = 5 * time.Second
	// idleTimeout ends a session that sends nothing, not even the pings
	// a client sends every pingEvery: the server is free again.
	idleTimeout = 30 * time.Second
	pingEvery   = 10 * time.Second
	// bodyTimeout bounds the rest of a message once its header came.
	bodyTimeout = 10 * time.Second
	// writeTimeout bounds each write to a client that does not read.
	writeTimeout = 10 * time.Second
	// maxHandshakes bounds the connections in their handshake at once;
	// more are closed at once. Authenticated sessions are one at a time.
	maxHandshakes = 256
	// maxInFlight bounds a session's requests being served at once.
	maxInFlight = 32
	// flowGrace is how long past Limits.MaxDuration a server half may
	// live (its report waits for stragglers; a stall is waited out)
	// before the server stops it.
	flowGrace = 45 * time.Second
)

// timeouts are a Server's; zero fields take the constants' values.
type timeouts struct {
	handshake, idle, body time.Duration
}

func (t timeouts) withDefaults() timeouts {
	if t.handshake == 0 {
		t.handshake = handshakeTimeout
	}
	if t.idle == 0 {
		t.idle = idleTimeout
	}
	if t.body == 0 {
		t.body = bodyTimeout
	}
	return t
}

// A Server is the control channel of `compare serve`: it authenticates a
// client by the key, gives it the server to itself for a session (any
// other client is answered busy at once), and runs the session's server
// halves on this host, behind the gate, within Limits.
type Server struct {
	// Key authenticates clients; required.
	Key Key
	// Host is the address server halves listen on: the host of serve's
	// -listen.
	Host string
	// Halves runs server halves on n (harness.LocalServer): the very
	// code a path of one machine runs, over a network whose sockets are
	// behind the session's gate. Required.
	Halves func(n netpath.Network, host string) half.Server
	// Fingerprint is the certificate the QUIC server halves present,
	// for the client to pin.
	Fingerprint string
	// Limits hold every session; zero fields take DefaultLimits'.
	Limits Limits
	// Log, if set, gets a line per session and per refused client.
	Log io.Writer

	// t are the server's timeouts: the defaults above; tests shorten
	// them.
	t timeouts

	initOnce   sync.Once
	initErr    error
	tlsConf    *tls.Config
	slot       chan struct{} // holds a token while a session runs
	handshakes chan struct{}
	logMu      sync.Mutex
}

func (s *Server) init() error {
	s.initOnce.Do(func() {
		if s.Halves == nil || len(s.Key) < MinKeyLen {
			s.initErr = errors.New("remote: a Server needs a Key and Halves")
			return
		}
		s.tlsConf, s.initErr = s.Key.ServerTLS()
		s.slot = make(chan struct{}, 1)
		s.handshakes = make(chan struct{}, maxHandshakes)
		s.Limits = s.Limits.withDefaults()
		s.t = s.t.withDefaults()
	})
	return s.initErr
}

func (s *Server) logf(format string, a ...any) {
	if s.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.Log, "compare serve: "+format+"\n", a...)
}

// ServeConn serves one connection (a Splitter's TLS one, say) until its
// session ends or ctx is done, and closes it.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	if err := s.init(); err != nil {
		return
	}
	select {
	case s.handshakes <- struct{}{}:
	default:
		return // too many at once: this one goes
	}
	tc, ok := s.handshake(ctx, c)
	<-s.handshakes
	if !ok {
		return
	}
	stop := context.AfterFunc(ctx, func() { tc.Close() })
	defer stop()
	ch := &channel{c: tc, body: s.t.body}
	// A session at a time: the others are told so at once.
	select {
	case s.slot <- struct{}{}:
	default:
		ch.write(tError, &errorMsg{Code: codeBusy, Message: "busy: another client's session is running; try again when it is done"})
		s.logf("told %s the server is busy", c.RemoteAddr())
		return
	}
	defer func() { <-s.slot }()
	s.session(ctx, ch, c.RemoteAddr())
}

// handshake authenticates c by the key and reads its hello, within
// handshakeTimeout.
func (s *Server) handshake(ctx context.Context, c net.Conn) (*tls.Conn, bool) {
	tc := tls.Server(c, s.tlsConf)
	c.SetDeadline(time.Now().Add(s.t.handshake))
	hctx, cancel := context.WithTimeout(ctx, s.t.handshake)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		if errors.Is(err, ErrWrongKey) || isBadCertificate(err) {
			s.logf("refused %s: it holds a different key", c.RemoteAddr())
		}
		return nil, false
	}
	t, v, err := decode(tc, requests, nil)
	if err != nil || t != tHello {
		return nil, false
	}
	if h := v.(*hello); h.Version != Version {
		(&channel{c: tc}).write(tError, &errorMsg{Code: codeProtocol,
			Message: fmt.Sprintf("this server speaks control protocol %d, not %d: use the same netmatrix on both hosts", Version, h.Version)})
		return nil, false
	}
	c.SetDeadline(time.Time{})
	return tc, true
}

// session serves an authenticated client's requests until it leaves,
// goes idle or sends what cannot be read; then every server half it
// started is stopped.
func (s *Server) session(ctx context.Context, ch *channel, from net.Addr) {
	g, err := newGate()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	ss := &session{srv: s, ch: ch, halves: s.Halves(network{g}, s.Host), flows: map[uint32]*flowEntry{}}
	defer func() {
		cancel()
		ss.wg.Wait()
		ss.stopAll()
	}()
	if ch.write(tWelcome, &welcome{Version: Version, Token: g.token, Fingerprint: s.Fingerprint, Limits: s.Limits}) != nil {
		return
	}
	s.logf("session with %s", from)
	start := time.Now()
	inFlight := make(chan struct{}, maxInFlight)
	for {
		t, v, err := ch.read(requests, s.t.idle)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				ch.write(tError, &errorMsg{Code: codeProtocol, Message: err.Error()})
				s.logf("ended the session with %s: %v", from, err)
			}
			break
		}
		now := wire.Now()
		switch t {
		case tClock:
			// Answered here, not in a goroutine: the stamps are the
			// exchange, and a queue between them would widen its bound.
			r := v.(*clockReq)
			ch.write(tTime, &clockReply{reqID: reqID{r.ID}, T1: r.T1, T2: now, T3: wire.Now()})
			continue
		case tPing:
			ch.write(tPong, &pong{reqID: reqID{v.(*ping).ID}})
			continue
		case tHello:
			ch.write(tError, &errorMsg{Code: codeProtocol, Message: "hello twice"})
			continue
		}
		select {
		case inFlight <- struct{}{}:
		default:
			ch.write(tError, &errorMsg{reqID: reqID{idOf(v)}, Code: codeRefused, Message: "too many requests at once"})
			continue
		}
		ss.wg.Go(func() {
			defer func() { <-inFlight }()
			ss.serve(ctx, t, v)
		})
	}
	s.logf("session with %s over after %v", from, time.Since(start).Round(time.Millisecond))
}

// session is one client's time with the server.
type session struct {
	srv    *Server
	ch     *channel
	halves half.Server
	wg     sync.WaitGroup

	mu    sync.Mutex
	next  uint32
	flows map[uint32]*flowEntry
}

// flowEntry is a server half of the session, stopped once.
type flowEntry struct {
	f     half.Flow
	once  sync.Once
	timer *time.Timer
}

func (e *flowEntry) stop() {
	e.once.Do(func() {
		e.timer.Stop()
		e.f.Stop()
	})
}

func (ss *session) serve(ctx context.Context, t msgType, v any) {
	refuse := func(id uint32, err error) {
		ss.ch.write(tError, &errorMsg{reqID: reqID{id}, Code: codeRefused, Message: err.Error()})
	}
	switch r := v.(type) {
	case *startReq:
		id, port, err := ss.start(ctx, r.Spec)
		if err != nil {
			refuse(r.ID, err)
			return
		}
		ss.ch.write(tStarted, &started{reqID: reqID{r.ID}, Flow: id, Port: port})
	case *reportReq:
		e := ss.flow(r.Flow)
		if e == nil {
			refuse(r.ID, fmt.Errorf("no flow %d", r.Flow))
			return
		}
		lim := ss.srv.Limits
		until := r.Until
		until.Quiet = min(max(until.Quiet, 0), lim.MaxDuration)
		rctx, cancel := context.WithTimeout(ctx, lim.MaxDuration+flowGrace)
		defer cancel()
		rep, err := e.f.Report(rctx, until)
		if err != nil {
			refuse(r.ID, err)
			return
		}
		if ss.ch.write(tReported, &reported{reqID: reqID{r.ID}, Report: rep}) != nil {
			refuse(r.ID, errors.New("the report is larger than the control channel carries: fewer messages (-count)"))
		}
	case *stopReq:
		if e := ss.flow(r.Flow); e != nil {
			ss.mu.Lock()
			delete(ss.flows, r.Flow)
			ss.mu.Unlock()
			e.stop()
		}
		ss.ch.write(tStopped, &stopped{reqID: reqID{r.ID}})
	}
}

// flow is the started server half id, or nil.
func (ss *session) flow(id uint32) *flowEntry {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if e := ss.flows[id]; e != nil && e.f != nil {
		return e
	}
	return nil
}

// start starts a server half of spec, within the limits, and returns its
// number and port.
func (ss *session) start(ctx context.Context, spec half.Spec) (uint32, int, error) {
	lim := ss.srv.Limits
	if err := checkSpec(&spec, lim); err != nil {
		return 0, 0, err
	}
	spec.Cap = lim.MaxBytes
	ss.mu.Lock()
	if len(ss.flows) >= lim.MaxFlows {
		ss.mu.Unlock()
		return 0, 0, fmt.Errorf("a session holds at most %d flows at once", lim.MaxFlows)
	}
	ss.next++
	id := ss.next
	e := &flowEntry{}
	ss.flows[id] = e // held while it starts, so the count holds
	ss.mu.Unlock()

	f, err := ss.halves.Start(ctx, spec)
	if err != nil {
		ss.mu.Lock()
		delete(ss.flows, id)
		ss.mu.Unlock()
		return 0, 0, err
	}
	_, p, _ := net.SplitHostPort(f.Addr())
	port, _ := strconv.Atoi(p)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e.f = f
	// No flow outlives the longest test, whatever its client does.
	e.timer = time.AfterFunc(lim.MaxDuration+flowGrace, func() {
		ss.mu.Lock()
		delete(ss.flows, id)
		ss.mu.Unlock()
		e.stop()
	})
	if _, ok := ss.flows[id]; !ok {
		// Stopped while it started (the session ended).
		go e.stop()
		return 0, 0, errors.New("the session ended")
	}
	return id, port, nil
}

func (ss *session) stopAll() {
	ss.mu.Lock()
	flows := ss.flows
	ss.flows = map[uint32]*flowEntry{}
	ss.mu.Unlock()
	for _, e := range flows {
		ss.mu.Lock()
		started := e.f != nil
		ss.mu.Unlock()
		if started {
			e.stop()
		}
	}
}

// checkSpec refuses what a session may not ask for: an unknown workload
// or transport, settings out of range, a flow longer or larger than the
// limits.
func checkSpec(s *half.Spec, lim Limits) error {
	if !catalog.Runs(s.Transport, s.Workload) {
		return fmt.Errorf("no %s over %q", s.Workload, s.Transport)
	}
	dur := s.Duration
	if s.Workload == catalog.Stream {
		dur = time.Duration(s.Count) * s.Interval
	}
	switch {
	case s.Direction != "" && s.Direction != half.Up && s.Direction != half.Down:
		return fmt.Errorf("direction %q", s.Direction)
	case s.Count < 0 || s.Count > lim.MaxCount:
		return fmt.Errorf("count %d: this server takes 0 to %d", s.Count, lim.MaxCount)
	case s.Size != 0 && (s.Size < wire.HeaderLen || s.Size > 65000):
		return fmt.Errorf("size %d: want %d to 65000 bytes", s.Size, wire.HeaderLen)
	case s.DatagramSize != 0 && (s.DatagramSize < wire.HeaderLen || s.DatagramSize > 65507):
		return fmt.Errorf("datagram size %d: want %d to 65507 bytes", s.DatagramSize, wire.HeaderLen)
	case s.Interval < 0 || s.Duration < 0 || s.Stall < 0 || s.Rate < 0 || s.Bytes < 0 || s.Cap != 0:
		return errors.New("a negative setting, or a cap (the server sets that)")
	case dur > lim.MaxDuration:
		return fmt.Errorf("a flow of %v: this server runs them for at most %v", dur, lim.MaxDuration)
	case s.Bytes > lim.MaxBytes:
		return fmt.Errorf("a transfer of %d bytes: this server sends at most %d", s.Bytes, lim.MaxBytes)
	}
	return nil
}

// isBadCertificate reports a handshake the peer refused for its
// certificate: a client with another key refuses the server's.
func isBadCertificate(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return ae == 42
	}
	return err != nil && strings.Contains(err.Error(), "bad certificate")
}
