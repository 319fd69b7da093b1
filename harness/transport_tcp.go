package harness

import (
	"context"
	"fmt"
	"net"
	"time"

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
// window) at its very end, even after Finish has closed it. Once told to
// (follow) it also follows what held the sender back, where the path can.
type tcpWatch struct {
	w  *tcp.InfoWatch
	sw netpath.SenderWatch
}

// dial dials on the client's host and watches the conn it made.
func (w *tcpWatch) dial(c *clientEnd) tcp.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := c.dial(ctx, network, addr)
		if err == nil {
			w.w = tcp.Watch(conn)
		}
		return conn, err
	}
}

// follow has senders, where there are any, follow conn's sender.
func (w *tcpWatch) follow(senders netpath.SenderWatcher, conn net.Conn) {
	if senders == nil {
		return
	}
	if sw, ok := senders.WatchSender(conn); ok {
		w.sw = sw
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

// tcpSink is the receiving end of a stream or a bulk transfer, the
// server half's (up) or the client's (down).
func tcpSink(r *receiving) *tcp.Sink {
	if r.col != nil {
		return &tcp.Sink{OnMessage: r.col.onMsg}
	}
	return &tcp.Sink{OnBytes: r.bulk.onBytes}
}

// tapTCP has the path's tap follow the data of the next connection to
// addr's port, toward it (up) or from it (down), for head-of-line delay.
func tapTCP(tap *tapMux, r *receiving, addr net.Addr, down bool) {
	if tap == nil {
		return
	}
	port := uint16(addr.(*net.TCPAddr).Port)
	var seg *tcpflow.Flow
	switch {
	case down && r.col != nil:
		seg = tcpflow.NewReverse(port)
	case down:
		return // a download's repeats are the server's; followed up only
	case r.col != nil:
		seg = tcpflow.New(port)
	default:
		// A bulk flow is counted, not logged: 85k segments a second.
		seg = tcpflow.NewCounter(port)
	}
	tap.SetTap(seg.Tap)
	if r.col != nil {
		r.heard = seg.Arrivals
	}
	if !down {
		r.spurious = func() int64 { return seg.Counts().Spurious() }
	}
}

func (tcpTransport) serve(ctx context.Context, h *serverHost, spec *half.Spec, f *localFlow) error {
	ln, err := h.net.Listen(ctx, "tcp", h.addr())
	if err != nil {
		return err
	}
	var serve func(context.Context, net.Listener) error
	switch {
	case f.send != nil:
		cfg := specConfig(spec)
		serve = (&tcp.Source{Bulk: spec.Workload == catalog.Bulk, Nagle: spec.Nagle, Send: func(ctx context.Context, c *tcp.Client) error {
			return f.send.run(ctx, func(ctx context.Context) (int64, error) {
				// The sender's own view of the connection: its
				// retransmissions, on a kernel socket.
				w := &tcpWatch{w: c.Watch()}
				defer w.close()
				defer func() { f.send.stats = w.stats() }()
				if spec.Workload == catalog.Bulk {
					w.follow(h.senders, c.Conn())
					return sendTCPBulk(ctx, c, cfg, func() { f.send.limits = w.limits() })
				}
				sent, err := sendStream(ctx, c, cfg)
				if err == nil {
					err = finishStream(ctx, c.Finish, cfg)
				}
				return sent, err
			})
		}}).Serve
	case spec.Workload == catalog.Echo:
		serve = (&tcp.EchoServer{Nagle: spec.Nagle}).Serve
	case spec.Workload == catalog.HTTP:
		serve = httpServer(spec).Serve
	case f.recv != nil:
		serve = tcpSink(f.recv).Serve
		// Where the path shows its packets, the segments the server's
		// stack received tell when each message's bytes were there to
		// be read.
		tapTCP(h.tap, f.recv, ln.Addr(), false)
	default:
		ln.Close()
		return fmt.Errorf("tcp: no server half for %q", spec.Workload)
	}
	f.addr = ln.Addr().String()
	f.stop = startServer(ctx, func(ctx context.Context) error { return serve(ctx, ln) })
	return nil
}

// tcpFlow connects a client to the server half of c with dial (the tcp
// package's DialEcho or DialMessages), its connection watched (tcpWatch),
// and returns its flow and the client.
func tcpFlow(ctx context.Context, c *clientEnd, cfg *Config,
	dial func(ctx context.Context, dialer tcp.DialFunc, addr string, opt tcp.Options) (*tcp.Client, error)) (*flow, *tcp.Client, error) {
	t0 := wire.Now()
	w := &tcpWatch{}
	conn, err := dial(ctx, w.dial(c), c.addr(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		w.close()
		return nil, nil, err
	}
	return &flow{conn: conn, handshake: wire.Since(t0), stop: func() { w.close(); conn.Close() },
		stats: w.stats}, conn, nil
}

func (tcpTransport) echo(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	f, _, err := tcpFlow(ctx, c, cfg, tcp.DialEcho)
	return f, err
}

func (tcpTransport) stream(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	f, conn, err := tcpFlow(ctx, c, cfg, tcp.DialMessages)
	if err != nil {
		return nil, err
	}
	f.finish = conn.Finish
	return f, nil
}

func (tcpTransport) bulk(ctx context.Context, c *clientEnd, cfg *Config) (bulkOutcome, error) {
	t0 := wire.Now()
	w := &tcpWatch{}
	conn, err := tcp.DialBulk(ctx, w.dial(c), c.addr(), tcp.Options{})
	if err != nil {
		w.close()
		return bulkOutcome{}, err
	}
	w.follow(c.senders, conn.Conn())
	out := bulkOutcome{handshake: wire.Since(t0), start: wire.Now(), stop: func() { conn.Close() }}
	// Once the writer is done, the queue draining behind it is not what
	// held the transfer back.
	out.sent, err = sendTCPBulk(ctx, conn, cfg, func() { out.limits = w.limits() })
	// Asked now: runBulk reads stats after stop.
	info := w.stats()
	w.close()
	out.stats = func() map[string]uint64 { return info }
	return out, err
}

// sendTCPBulk sends a bulk transfer on conn: for Duration, or BulkBytes
// and then the wait until the sink has them all, however long that takes
// (as UDP's and QUIC's transfers of a fixed size do). written, if set, is
// called when the writer is done, before that wait.
func sendTCPBulk(ctx context.Context, conn *tcp.Client, cfg *Config, written func()) (int64, error) {
	end, limit := deadline(cfg.Duration), cfg.sendCap
	if cfg.BulkBytes > 0 {
		end, limit = time.Time{}, cfg.BulkBytes
	}
	sent, err := conn.SendBulk(ctx, end, limit)
	if written != nil {
		written()
	}
	if err == nil && cfg.BulkBytes > 0 {
		err = conn.Finish(ctx)
	}
	return sent, err
}

func (tcpTransport) receive(ctx context.Context, c *clientEnd, cfg *Config, r *receiving) (*flow, error) {
	raddr, err := net.ResolveTCPAddr("tcp", c.addr())
	if err != nil {
		return nil, err
	}
	tapTCP(c.taps, r, raddr, true)
	t0 := wire.Now()
	w := &tcpWatch{}
	conn, err := w.dial(c)(ctx, "tcp", c.addr())
	if err != nil {
		return nil, err
	}
	handshake := wire.Since(t0)
	stop := startServer(ctx, func(ctx context.Context) error {
		tcpSink(r).ServeConn(ctx, conn)
		return nil
	})
	return &flow{handshake: handshake, stop: func() { conn.Close(); stop(); w.close() }, stats: w.stats}, nil
}
