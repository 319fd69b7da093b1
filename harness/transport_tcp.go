package harness

import (
	"context"
	"fmt"
	"net"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link/tcpflow"
	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
	"netmatrix/internal/wire"
	"netmatrix/tcp"
)

// tcpTransport runs the tcp package's servers and clients.
type tcpTransport struct{}

// tcpWatch keeps an eye on the client's connection, so the run can report
// what its stack knows of it (TCP_INFO: RTT, retransmissions, congestion
// window) at its very end, even after Finish has closed it. With sender
// set it also follows what held the sender back, where the path can.
type tcpWatch struct {
	w      *tcp.InfoWatch
	sender bool
	sw     netpath.SenderWatch
}

// dial dials on the client's host and watches the conn it made.
func (w *tcpWatch) dial(c *clientEnd) tcp.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := c.dial(ctx, network, addr)
		if err == nil {
			w.w = tcp.Watch(conn)
			if w.sender && c.senders != nil {
				if sw, ok := c.senders.WatchSender(conn); ok {
					w.sw = sw
				}
			}
		}
		return conn, err
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

func (tcpTransport) serve(ctx context.Context, h *serverHost, spec *half.Spec, f *localFlow) error {
	ln, err := h.net.Listen(ctx, "tcp", h.addr())
	if err != nil {
		return err
	}
	var serve func(context.Context, net.Listener) error
	switch spec.Workload {
	case catalog.Echo:
		serve = (&tcp.EchoServer{Nagle: spec.Nagle}).Serve
	case catalog.Stream:
		serve = (&tcp.Sink{OnMessage: f.col.onMsg}).Serve
		// Where the path shows its packets, the segments the server's
		// stack received tell when each message's bytes were there to
		// be read.
		if h.tap != nil {
			seg := tcpflow.New(uint16(ln.Addr().(*net.TCPAddr).Port))
			h.tap.SetTap(seg.Tap)
			f.heard = seg.Arrivals
			f.spurious = func() int64 { return seg.Counts().Spurious() }
		}
	case catalog.Bulk:
		serve = (&tcp.Sink{OnBytes: f.bulk.onBytes}).Serve
		// A bulk flow is counted, not logged: 85k segments a second.
		if h.tap != nil {
			seg := tcpflow.NewCounter(uint16(ln.Addr().(*net.TCPAddr).Port))
			h.tap.SetTap(seg.Tap)
			f.spurious = func() int64 { return seg.Counts().Spurious() }
		}
	case catalog.HTTP:
		serve = httpServer(spec).Serve
	default:
		ln.Close()
		return fmt.Errorf("tcp: no server half for %q", spec.Workload)
	}
	f.addr = ln.Addr().String()
	f.stop = startServer(ctx, func(ctx context.Context) error { return serve(ctx, ln) })
	return nil
}

func (tcpTransport) echo(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	t0 := wire.Now()
	w := &tcpWatch{}
	conn, err := tcp.DialEcho(ctx, w.dial(c), c.addr(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		w.close()
		return nil, err
	}
	return &flow{conn: conn, handshake: wire.Since(t0), stop: func() { w.close(); conn.Close() },
		stats: w.stats}, nil
}

func (tcpTransport) stream(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	t0 := wire.Now()
	w := &tcpWatch{}
	conn, err := tcp.DialMessages(ctx, w.dial(c), c.addr(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		w.close()
		return nil, err
	}
	return &flow{conn: conn, finish: conn.Finish, handshake: wire.Since(t0), stop: func() { w.close(); conn.Close() },
		stats: w.stats}, nil
}

func (tcpTransport) bulk(ctx context.Context, c *clientEnd, cfg *Config) (bulkOutcome, error) {
	t0 := wire.Now()
	w := &tcpWatch{sender: true}
	conn, err := tcp.DialBulk(ctx, w.dial(c), c.addr(), tcp.Options{})
	if err != nil {
		w.close()
		return bulkOutcome{}, err
	}
	out := bulkOutcome{handshake: wire.Since(t0), start: wire.Now(), stop: func() { conn.Close() }}
	out.sent, err = conn.SendBulk(ctx, deadline(cfg.Duration), cfg.BulkBytes)
	// The writer is done: the queue draining after it is not what held
	// the transfer back.
	out.limits = w.limits()
	if err == nil && cfg.BulkBytes > 0 {
		err = conn.Finish(ctx)
	}
	// Asked now: runBulk reads stats after stop.
	info := w.stats()
	w.close()
	out.stats = func() map[string]uint64 { return info }
	return out, err
}
