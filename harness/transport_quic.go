package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/internal/wire"
	"netmatrix/quic"
)

// settleTimeout bounds the wait for quic-go to account for the last
// datagrams of a flow: a probe timeout or two on a slow path.
const settleTimeout = time.Second

// quicTransport runs the quic package's servers and clients in one shape:
// the rows quic (one stream), quic-permsg (a stream per message) and
// quic-dgram (RFC 9221 datagrams).
type quicTransport struct{ shape quic.Shape }

// untraced is the QUIC configuration of bulk transfers: quic-go's qlog
// events cost about a fifth of its throughput, more than a measurement
// should. Its own counters of packets sent and lost remain.
var untraced = quic.Config{NoTrace: true}

// quicSink is the receiving end of a stream or a bulk transfer, the
// server half's (up) or the client's (down). On one stream, the STREAM
// frames quic-go received tell when each message's bytes were there to
// be read: the messages are on the sender's first stream, stream 0 when
// the client opened it, 1 when the server did.
func (t quicTransport) quicSink(r *receiving, stream int64) *quic.Sink {
	if r.bulk != nil {
		return &quic.Sink{Config: untraced, OnBytes: r.bulk.onBytes, OnMessage: r.bulk.onDatagram}
	}
	sink := &quic.Sink{OnMessage: r.col.onMsg}
	if t.shape == quic.OneStream {
		log := &byteLog{}
		sink.OnStreamFrame = func(fr quic.StreamFrame) {
			if fr.StreamID == stream {
				log.add(metrics.ByteArrival{At: fr.Arrived, Offset: fr.Offset, Length: fr.Length})
			}
		}
		r.heard = log.arrivals
	}
	return sink
}

func (t quicTransport) serve(ctx context.Context, h *serverHost, spec *half.Spec, f *localFlow) error {
	if spec.Workload == catalog.Bulk && t.shape == quic.StreamPerMessage {
		return errPerMessageBulk
	}
	var (
		serve func(context.Context, net.PacketConn) error
		stats func() quic.Stats
	)
	switch {
	case f.send != nil:
		cfg := specConfig(spec)
		src := &quic.Source{Shape: t.shape, Bulk: spec.Workload == catalog.Bulk, Send: func(ctx context.Context, c *quic.Client) error {
			return f.send.run(ctx, func(ctx context.Context) (int64, error) {
				if spec.Workload == catalog.Bulk {
					return sendQUICBulk(ctx, c, t.shape, cfg)
				}
				return t.sendMessages(ctx, c, cfg)
			})
		}}
		if src.Bulk {
			src.Config = untraced
		}
		serve, stats = src.Serve, src.Stats
	case spec.Workload == catalog.Echo:
		srv := &quic.EchoServer{}
		serve, stats = srv.Serve, srv.Stats
	case f.recv != nil:
		srv := t.quicSink(f.recv, 0)
		serve, stats = srv.Serve, srv.Stats
	default:
		return fmt.Errorf("quic: no server half for %q", spec.Workload)
	}
	f.stats = func() map[string]uint64 { return stats().Map() }
	var err error
	f.addr, f.stop, err = listenUDP(ctx, h, serve)
	return err
}

// sendMessages sends a stream on c and waits until it is delivered, or
// of datagrams, until quic-go has accounted for each.
func (t quicTransport) sendMessages(ctx context.Context, c *quic.Client, cfg *Config) (int64, error) {
	sent, err := sendStream(ctx, c, cfg)
	if err != nil {
		return sent, err
	}
	if t.shape != quic.Datagrams {
		return sent, finishStream(ctx, c.Finish, cfg)
	}
	settle(ctx, c)
	return sent, nil
}

// settle lets quic-go find the loss of the last datagrams sent on c (a
// probe timeout or two), so its counts cover every one; for at most
// settleTimeout.
func settle(ctx context.Context, c *quic.Client) {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	_ = c.Settle(ctx)
}

// errPerMessageBulk refuses a bulk transfer cut into a stream per
// message: it would measure stream setup, not the path. Run never asks
// (catalog.Runs), so this is a caller's mistake.
var errPerMessageBulk = errors.New("quic: bulk is one stream or datagrams, not a stream per message")

// quicClientConn opens the client's UDP socket on its host, bound to the
// address the client host would send to server from, and binds it to the
// server half. A connected socket's local address says which, on any kind
// of path; quic-go itself needs an unconnected one.
func quicClientConn(ctx context.Context, c *clientEnd) (net.PacketConn, error) {
	server := c.addr()
	probe, err := c.net.Dial(ctx, "udp", server)
	if err != nil {
		return nil, fmt.Errorf("quic: route to %s: %w", server, err)
	}
	local, raddr := probe.LocalAddr().String(), probe.RemoteAddr()
	probe.Close()
	host, _, err := net.SplitHostPort(local)
	if err != nil {
		return nil, fmt.Errorf("quic: client address %q: %w", local, err)
	}
	pc, err := c.net.ListenPacket(ctx, "udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	if err := c.half.Bind(ctx, &packetConnTo{pc, raddr}); err != nil {
		pc.Close()
		return nil, err
	}
	return pc, nil
}

// packetConnTo is an unconnected socket seen as one connected to peer,
// for half.Flow.Bind: what it reads from others is dropped. Closing it
// leaves the socket open.
type packetConnTo struct {
	net.PacketConn
	peer net.Addr
}

func (c *packetConnTo) Read(p []byte) (int, error) {
	for {
		n, from, err := c.ReadFrom(p)
		if err != nil || from.String() == c.peer.String() {
			return n, err
		}
	}
}

func (c *packetConnTo) Write(p []byte) (int, error) { return c.WriteTo(p, c.peer) }
func (c *packetConnTo) RemoteAddr() net.Addr        { return c.peer }
func (c *packetConnTo) Close() error                { return nil }

// quicOptions are a client's options with cfg against a server whose
// certificate has the fingerprint (quic.PinnedClientTLS); "" trusts only
// this process's own certificate.
func quicOptions(fingerprint string, cfg quic.Config) (*quic.Options, error) {
	opt := &quic.Options{Config: cfg}
	if fingerprint != "" {
		tlsConf, err := quic.PinnedClientTLS(fingerprint)
		if err != nil {
			return nil, err
		}
		opt.TLS = tlsConf
	}
	return opt, nil
}

// quicDial connects a client to the server half of c with dial.
func quicDial(ctx context.Context, c *clientEnd, cfg quic.Config,
	dial func(ctx context.Context, pc net.PacketConn, addr string, opt *quic.Options) (*quic.Client, error)) (*quic.Client, error) {
	opt, err := quicOptions(c.half.Fingerprint(), cfg)
	if err != nil {
		return nil, err
	}
	pc, err := quicClientConn(ctx, c)
	if err != nil {
		return nil, err
	}
	return dial(ctx, pc, c.addr(), opt)
}

// quicFlow is the flow of the client conn: its handshake, its close and
// its counters.
func quicFlow(conn *quic.Client) *flow {
	return &flow{
		conn:      conn,
		handshake: conn.Handshake(),
		stop:      func() { conn.Close() },
		stats:     func() map[string]uint64 { return conn.Stats().Map() },
	}
}

func (t quicTransport) echo(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	conn, err := quicDial(ctx, c, quic.Config{}, func(ctx context.Context, pc net.PacketConn, addr string, opt *quic.Options) (*quic.Client, error) {
		return quic.DialEcho(ctx, pc, addr, t.shape, opt)
	})
	if err != nil {
		return nil, err
	}
	return quicFlow(conn), nil
}

func (t quicTransport) stream(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	conn, err := quicDial(ctx, c, quic.Config{}, func(ctx context.Context, pc net.PacketConn, addr string, opt *quic.Options) (*quic.Client, error) {
		return quic.DialMessages(ctx, pc, addr, t.shape, opt)
	})
	if err != nil {
		return nil, err
	}
	f := quicFlow(conn)
	if t.shape != quic.Datagrams {
		f.finish = conn.Finish
	} else {
		f.stats = func() map[string]uint64 {
			settle(ctx, conn)
			return conn.Stats().Map()
		}
	}
	return f, nil
}

func (t quicTransport) bulk(ctx context.Context, c *clientEnd, cfg *Config) (bulkOutcome, error) {
	if t.shape == quic.StreamPerMessage {
		return bulkOutcome{}, errPerMessageBulk
	}
	conn, err := quicDial(ctx, c, untraced, func(ctx context.Context, pc net.PacketConn, addr string, opt *quic.Options) (*quic.Client, error) {
		return quic.DialBulk(ctx, pc, addr, t.shape, opt)
	})
	if err != nil {
		return bulkOutcome{}, err
	}
	f := quicFlow(conn)
	out := bulkOutcome{handshake: f.handshake, start: wire.Now(), stop: f.stop, stats: f.stats}
	out.sent, err = sendQUICBulk(ctx, conn, t.shape, cfg)
	return out, err
}

// sendQUICBulk sends a bulk transfer on conn in shape: for Duration, or
// BulkBytes (one stream: and then the wait until the sink has them all).
func sendQUICBulk(ctx context.Context, conn *quic.Client, shape quic.Shape, cfg *Config) (int64, error) {
	b := quic.Bulk{Deadline: deadline(cfg.Duration)}
	if shape == quic.OneStream {
		b.Limit = cfg.sendCap
		if cfg.BulkBytes > 0 {
			b = quic.Bulk{Limit: cfg.BulkBytes}
		}
		sent, err := conn.SendBulk(ctx, b)
		if err == nil && cfg.BulkBytes > 0 {
			err = conn.Finish(ctx)
		}
		return sent, err
	}

	// A datagram must fit in one QUIC packet: about 1200 bytes until
	// path MTU discovery finds more, so UDP's 1400 is cut down to fit.
	b.Size = min(cfg.DatagramSize, conn.MaxDatagram())
	b.Limit = datagrams(cfg.sendCap, b.Size)
	if cfg.BulkBytes > 0 {
		b.Deadline, b.Limit = time.Time{}, datagrams(cfg.BulkBytes, b.Size)
	}
	return conn.SendBulk(ctx, b)
}

func (t quicTransport) receive(ctx context.Context, c *clientEnd, cfg *Config, r *receiving) (*flow, error) {
	sink := t.quicSink(r, 1)
	conn, err := quicDial(ctx, c, sink.Config, func(ctx context.Context, pc net.PacketConn, addr string, opt *quic.Options) (*quic.Client, error) {
		return quic.DialSource(ctx, pc, addr, t.shape, sink, opt)
	})
	if err != nil {
		return nil, err
	}
	f := quicFlow(conn)
	f.conn = nil // what comes goes to the sink
	return f, nil
}
