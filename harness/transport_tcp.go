package harness

import (
	"context"
	"net"

	"netmatrix/harness/link/tcpflow"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
	"netmatrix/internal/wire"
	"netmatrix/tcp"
)

// tcpTransport runs the tcp package's servers and clients.
type tcpTransport struct{}

// tcpWatch keeps an eye on the client's connection, so the run can report
// what the kernel knows of it (TCP_INFO: RTT, retransmissions, congestion
// window) at its very end, even after Finish has closed it. On a path of
// userspace stacks it reports nothing. With sender set it also follows
// what held the sender back, where the path can (watchSender).
type tcpWatch struct {
	w      *tcp.InfoWatch
	sender bool
	sw     netpath.SenderWatch
}

// dial dials on p's client host and watches the conn it made.
func (w *tcpWatch) dial(p netpath.Path) tcp.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := p.Client().Dial(ctx, network, addr)
		if err == nil {
			w.w = tcp.Watch(c)
			if w.sender {
				w.sw = watchSender(p, c)
			}
		}
		return c, err
	}
}

// limits stops following the sender and returns what held it back; nil
// where nothing followed it.
func (w *tcpWatch) limits() *tcplimit.Times {
	if w.sw == nil {
		return nil
	}
	t := w.sw.Stop()
	return &t
}

// stats is the connection's TCP_INFO now, as TransportStats; nil if none.
func (w *tcpWatch) stats() map[string]uint64 { return w.w.Info() }

// close stops watching. Until then the client's own Close leaves the
// socket open, so it comes first.
func (w *tcpWatch) close() {
	w.limits()
	w.w.Release()
}

// tapCounter has p's tap, where p has one, count the spurious
// retransmissions of the next connection to port (tcpflow.NewCounter);
// nil where p shows no packets.
func tapCounter(p netpath.Path, port uint16) func() int64 {
	tp, ok := p.(netpath.Tapper)
	if !ok {
		return nil
	}
	seg := tcpflow.NewCounter(port)
	tp.SetTap(seg.Tap)
	return func() int64 { return seg.Counts().Spurious() }
}

func (tcpTransport) echo(ctx context.Context, p netpath.Path, cfg *Config) (*flow, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return nil, err
	}
	srv := &tcp.EchoServer{Nagle: cfg.Nagle}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	t0 := wire.Now()
	w := &tcpWatch{}
	c, err := tcp.DialEcho(ctx, w.dial(p), ln.Addr().String(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		w.close()
		stop()
		return nil, err
	}
	return &flow{conn: c, handshake: wire.Since(t0), stop: func() { w.close(); c.Close(); stop() },
		stats: w.stats}, nil
}

func (tcpTransport) stream(ctx context.Context, p netpath.Path, cfg *Config, onMsg func([]byte, int64)) (*flow, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return nil, err
	}
	srv := &tcp.Sink{OnMessage: onMsg}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	// Where the path shows its packets, the segments the server's stack
	// received tell when each message's bytes were there to be read.
	var (
		heard    func() []metrics.ByteArrival
		spurious func() int64
	)
	if tp, ok := p.(netpath.Tapper); ok {
		seg := tcpflow.New(uint16(ln.Addr().(*net.TCPAddr).Port))
		tp.SetTap(seg.Tap)
		heard = seg.Arrivals
		spurious = func() int64 { return seg.Counts().Spurious() }
	}
	t0 := wire.Now()
	w := &tcpWatch{}
	c, err := tcp.DialMessages(ctx, w.dial(p), ln.Addr().String(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		w.close()
		stop()
		return nil, err
	}
	return &flow{conn: c, finish: c.Finish, handshake: wire.Since(t0), stop: func() { w.close(); c.Close(); stop() },
		stats: w.stats, heard: heard, spurious: spurious}, nil
}

func (tcpTransport) bulk(ctx context.Context, p netpath.Path, cfg *Config) (bulkOutcome, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return bulkOutcome{}, err
	}
	counter := &bulkCounter{}
	srv := &tcp.Sink{OnBytes: counter.onBytes}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	spurious := tapCounter(p, uint16(ln.Addr().(*net.TCPAddr).Port))
	t0 := wire.Now()
	w := &tcpWatch{sender: true}
	c, err := tcp.DialBulk(ctx, w.dial(p), ln.Addr().String(), tcp.Options{})
	if err != nil {
		w.close()
		stop()
		return bulkOutcome{}, err
	}
	out := bulkOutcome{received: counter, handshake: wire.Since(t0), start: wire.Now(),
		stop: func() { c.Close(); stop() }, spurious: spurious}
	out.sent, err = c.SendBulk(ctx, deadline(cfg.Duration), cfg.BulkBytes)
	// The writer is done: the queue draining after it is not what held
	// the transfer back.
	out.limits = w.limits()
	if err == nil && cfg.BulkBytes > 0 {
		err = c.Finish(ctx)
	}
	// Asked now: runBulk reads stats after stop.
	info := w.stats()
	w.close()
	out.stats = func() map[string]uint64 { return info }
	return out, err
}
