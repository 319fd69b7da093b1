package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/internal/wire"
)

// ErrBusy reports a server running another client's session.
var ErrBusy = errors.New("remote: the server is busy with another client's session; try again when it is done")

// A Session is a client's hold on a `compare serve` on another host: an
// authenticated control channel over which it starts server halves there
// (it is a half.Server) and reads what they observed. One at a time per
// server; Close ends it, and the server stops every half it started.
type Session struct {
	addr, host string
	ch         *channel
	w          welcome

	mu      sync.Mutex
	next    uint32
	pending map[uint32]chan reply
	err     error // why the session ended, once it has
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup

	clockMu sync.Mutex
	clock   half.Clock // the latest estimate
}

// reply is a message a request got back.
type reply struct {
	t msgType
	v any
}

// dialTimeout bounds the connection, the handshake and the hello.
const dialTimeout = 10 * time.Second

// Dial opens a session with the `compare serve` at addr (its -listen
// address), authenticated by key. A wrong key fails within a round trip,
// with ErrWrongKey; a server busy with another client, with ErrBusy.
func Dial(ctx context.Context, addr string, key Key) (*Session, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("remote: %q: want HOST:PORT, the address given to compare serve -listen", addr)
	}
	conf, err := key.ClientTLS()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	tc := tls.Client(c, conf)
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, handshakeError(addr, err)
	}
	s := &Session{addr: addr, host: host, ch: &channel{c: tc}, pending: map[uint32]chan reply{}, done: make(chan struct{})}
	if err := s.hello(); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	s.wg.Go(s.readLoop)
	s.wg.Go(s.keepAlive)
	if _, err := s.estimate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// handshakeError says in words why the handshake failed.
func handshakeError(addr string, err error) error {
	switch {
	case errors.Is(err, ErrWrongKey), isBadCertificate(err):
		return fmt.Errorf("%w: compare serve at %s holds a different key than -key; give both hosts the same", ErrWrongKey, addr)
	case strings.Contains(err.Error(), "no application protocol"):
		return fmt.Errorf("remote: %s speaks TLS but not netmatrix's control channel: %w", addr, err)
	}
	return fmt.Errorf("remote: %s: no control channel there (is it compare serve?): %w", addr, err)
}

// hello says the protocol version and takes the welcome, or a refusal.
func (s *Session) hello() error {
	if err := s.ch.write(tHello, &hello{Version: Version}); err != nil {
		return fmt.Errorf("remote: %s: %w", s.addr, err)
	}
	t, v, err := s.ch.read(replies, handshakeTimeout)
	if err != nil {
		return fmt.Errorf("remote: %s: no welcome: %w", s.addr, err)
	}
	switch t {
	case tWelcome:
		s.w = *v.(*welcome)
		if len(s.w.Token) != tokenLen {
			return fmt.Errorf("remote: %s: a welcome without a session token", s.addr)
		}
		return nil
	case tError:
		e := v.(*errorMsg)
		if e.Code == codeBusy {
			return fmt.Errorf("remote: %s: %w", s.addr, ErrBusy)
		}
		return fmt.Errorf("remote: %s: %s", s.addr, e.Message)
	}
	return fmt.Errorf("remote: %s: %c before the welcome", s.addr, t)
}

// readLoop hands each reply to its request until the channel fails.
func (s *Session) readLoop() {
	for {
		t, v, err := s.ch.read(replies, idleTimeout)
		if err != nil {
			s.end(fmt.Errorf("remote: %s: the control channel: %w", s.addr, err))
			return
		}
		id := idOf(v)
		if t == tError && id == 0 {
			s.end(fmt.Errorf("remote: %s ended the session: %s", s.addr, v.(*errorMsg).Message))
			return
		}
		s.mu.Lock()
		ch := s.pending[id]
		delete(s.pending, id)
		s.mu.Unlock()
		if ch != nil {
			ch <- reply{t, v}
		}
	}
}

// keepAlive pings while the session lasts, so the server does not take
// a quiet spell (a long bulk run) for a client gone.
func (s *Session) keepAlive() {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), idleTimeout)
			s.call(ctx, tPing, func(id uint32) any { return &ping{reqID: reqID{id}} }, tPong)
			cancel()
		}
	}
}

// end ends the session with err, once.
func (s *Session) end(err error) {
	s.closing.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
		s.ch.c.Close()
	})
}

// Close ends the session; the server stops every server half of it.
func (s *Session) Close() error {
	s.end(errors.New("remote: session closed"))
	s.wg.Wait()
	return nil
}

// call sends a request (made with its ID) and waits for its reply of
// type want, or an error reply.
func (s *Session) call(ctx context.Context, t msgType, req func(id uint32) any, want msgType) (any, error) {
	ch := make(chan reply, 1)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return nil, err
	}
	s.next++
	id := s.next
	s.pending[id] = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}
	if err := s.ch.write(t, req(id)); err != nil {
		forget()
		s.end(fmt.Errorf("remote: %s: the control channel: %w", s.addr, err))
		return nil, err
	}
	select {
	case r := <-ch:
		if r.t == tError {
			return nil, fmt.Errorf("remote: %s: %s", s.addr, r.v.(*errorMsg).Message)
		}
		if r.t != want {
			return nil, fmt.Errorf("remote: %s answered %c with %c", s.addr, t, r.t)
		}
		return r.v, nil
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	case <-s.done:
		s.mu.Lock()
		err := s.err
		s.mu.Unlock()
		return nil, err
	}
}

// clockSamples is how many NTP-style exchanges an estimate takes; the one
// with the lowest round trip is kept (its queueing the least).
const clockSamples = 8

// estimate measures the server's clock against this host's: of
// clockSamples exchanges, the one with the shortest round trip gives the
// offset, ((t2−t1)+(t3−t4))/2, within ±half that round trip (RFC 5905,
// section 8). Both ends stamp wire.Now, the clock message headers carry.
func (s *Session) estimate(ctx context.Context) (half.Clock, error) {
	best := half.Clock{Bound: -1}
	for range clockSamples {
		v, err := s.call(ctx, tClock, func(id uint32) any { return &clockReq{reqID: reqID{id}, T1: wire.Now()} }, tTime)
		t4 := wire.Now()
		if err != nil {
			return half.Clock{}, fmt.Errorf("remote: clock: %w", err)
		}
		r := v.(*clockReply)
		rtt := time.Duration((t4 - r.T1) - (r.T3 - r.T2))
		if best.Bound < 0 || rtt/2 < best.Bound {
			best = half.Clock{Offset: time.Duration(((r.T2 - r.T1) + (r.T3 - t4)) / 2), Bound: rtt / 2}
		}
	}
	s.clockMu.Lock()
	s.clock = best
	s.clockMu.Unlock()
	return best, nil
}

// Clock is the latest estimate of the server's clock against this host's.
func (s *Session) Clock() half.Clock {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	return s.clock
}

var _ half.Server = (*Session)(nil)

// Start starts a server half on the server's host. A stream's has the
// clocks compared before it starts and once it is done, so its report
// carries an estimate that covers the drift between the two.
func (s *Session) Start(ctx context.Context, spec half.Spec) (half.Flow, error) {
	f := &flow{s: s, spec: spec}
	if spec.Workload == catalog.Stream {
		var err error
		if f.before, err = s.estimate(ctx); err != nil {
			return nil, err
		}
	}
	v, err := s.call(ctx, tStart, func(id uint32) any { return &startReq{reqID: reqID{id}, Spec: spec} }, tStarted)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", spec.Workload, spec.Transport, err)
	}
	st := v.(*started)
	f.id, f.addr = st.Flow, net.JoinHostPort(s.host, strconv.Itoa(st.Port))
	return f, nil
}

// flow is a server half on the other host.
type flow struct {
	s      *Session
	spec   half.Spec
	id     uint32
	addr   string
	before half.Clock // a stream's clock estimate before it started
}

var _ half.Flow = (*flow)(nil)

func (f *flow) Addr() string        { return f.addr }
func (f *flow) Fingerprint() string { return f.s.w.Fingerprint }

// Bind binds a socket to the session: the token ahead of a TCP flow, the
// return check for a datagram socket.
func (f *flow) Bind(ctx context.Context, c net.Conn) error {
	if f.spec.Transport == catalog.TCP {
		return bindTCP(c, f.s.w.Token)
	}
	return bindUDP(ctx, c, f.s.w.Token)
}

// reportAfterCancel bounds the report of a run that was cut short: what
// the server half saw until then still counts.
const reportAfterCancel = 5 * time.Second

func (f *flow) Report(ctx context.Context, until half.Until) (half.Report, error) {
	if ctx.Err() != nil {
		// Interrupted: a cut (half.Until), which the server half takes
		// as the run's end: it stops sending, if it sends, and says
		// what it has at once.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), reportAfterCancel)
		defer cancel()
		until = half.Until{Cut: true}
	}
	v, err := f.s.call(ctx, tReport, func(id uint32) any { return &reportReq{reqID: reqID{id}, Flow: f.id, Until: until} }, tReported)
	if err != nil {
		return half.Report{}, err
	}
	rep := v.(*reported).Report
	clock := f.s.Clock()
	if f.spec.Workload == catalog.Stream {
		after, err := f.s.estimate(ctx)
		if err != nil {
			return rep, err
		}
		clock = combine(f.before, after)
	}
	rep.Clock = &clock
	return rep, nil
}

// combine is one estimate from one before a flow and one after: their
// mean, uncertain by the larger bound and by half the drift between them.
func combine(a, b half.Clock) half.Clock {
	drift := (a.Offset - b.Offset).Abs()
	return half.Clock{Offset: (a.Offset + b.Offset) / 2, Bound: max(a.Bound, b.Bound) + drift/2}
}

// stopTimeout bounds the wait to stop a server half: the server stops
// it anyway when the session ends or the flow outlives its limit.
const stopTimeout = 5 * time.Second

func (f *flow) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	f.s.call(ctx, tStop, func(id uint32) any { return &stopReq{reqID: reqID{id}, Flow: f.id} }, tStopped)
}
