package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
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

// quicClientConn opens the client's UDP socket on the path, bound to the
// address the client host would send to server from. A connected
// socket's local address says which, on any kind of path; quic-go itself
// needs an unconnected one.
func quicClientConn(ctx context.Context, p netpath.Path, server string) (net.PacketConn, error) {
	probe, err := p.Client().Dial(ctx, "udp", server)
	if err != nil {
		return nil, fmt.Errorf("quic: route to %s: %w", server, err)
	}
	local := probe.LocalAddr().String()
	probe.Close()
	host, _, err := net.SplitHostPort(local)
	if err != nil {
		return nil, fmt.Errorf("quic: client address %q: %w", local, err)
	}
	return p.Client().ListenPacket(ctx, "udp", net.JoinHostPort(host, "0"))
}

// quicStats puts the client's counters (the sender's, in stream and bulk)
// and the server's, prefixed "server_", side by side.
func quicStats(client, server quic.Stats) map[string]uint64 {
	m := client.Map()
	for k, v := range server.Map() {
		m["server_"+k] = v
	}
	return m
}

// quicDial starts serve on the path and connects a client with dial.
func quicDial(ctx context.Context, p netpath.Path, serve func(context.Context, net.PacketConn) error,
	dial func(ctx context.Context, pc net.PacketConn, addr string) (*quic.Client, error)) (*quic.Client, func(), error) {
	addr, stop, err := listenUDP(ctx, p, serve)
	if err != nil {
		return nil, nil, err
	}
	pc, err := quicClientConn(ctx, p, addr)
	if err != nil {
		stop()
		return nil, nil, err
	}
	c, err := dial(ctx, pc, addr)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return c, func() { c.Close(); stop() }, nil
}

func (t quicTransport) echo(ctx context.Context, p netpath.Path, cfg *Config) (*flow, error) {
	srv := &quic.EchoServer{}
	c, stop, err := quicDial(ctx, p, srv.Serve, func(ctx context.Context, pc net.PacketConn, addr string) (*quic.Client, error) {
		return quic.DialEcho(ctx, pc, addr, t.shape, nil)
	})
	if err != nil {
		return nil, err
	}
	return &flow{
		conn:      c,
		handshake: c.Handshake(),
		stop:      stop,
		stats:     func() map[string]uint64 { return quicStats(c.Stats(), srv.Stats()) },
	}, nil
}

func (t quicTransport) stream(ctx context.Context, p netpath.Path, cfg *Config, onMsg func([]byte, int64)) (*flow, error) {
	srv := &quic.Sink{OnMessage: onMsg}
	// On one stream, the STREAM frames quic-go received tell when each
	// message's bytes were there to be read. The messages are the
	// client's first stream's.
	var log *byteLog
	if t.shape == quic.OneStream {
		log = &byteLog{}
		srv.OnStreamFrame = func(f quic.StreamFrame) {
			if f.StreamID == 0 {
				log.add(metrics.ByteArrival{At: f.Arrived, Offset: f.Offset, Length: f.Length})
			}
		}
	}
	c, stop, err := quicDial(ctx, p, srv.Serve, func(ctx context.Context, pc net.PacketConn, addr string) (*quic.Client, error) {
		return quic.DialMessages(ctx, pc, addr, t.shape, nil)
	})
	if err != nil {
		return nil, err
	}
	f := &flow{
		conn:      c,
		handshake: c.Handshake(),
		stop:      stop,
		stats:     func() map[string]uint64 { return quicStats(c.Stats(), srv.Stats()) },
	}
	if log != nil {
		f.heard = log.arrivals
	}
	if t.shape != quic.Datagrams {
		f.finish = c.Finish
	} else {
		f.stats = func() map[string]uint64 {
			// Let quic-go find the loss of the last datagrams (a probe
			// timeout or two), so its count covers every message.
			ctx, cancel := context.WithTimeout(ctx, settleTimeout)
			defer cancel()
			_ = c.Settle(ctx)
			return quicStats(c.Stats(), srv.Stats())
		}
	}
	return f, nil
}

func (t quicTransport) bulk(ctx context.Context, p netpath.Path, cfg *Config) (bulkOutcome, error) {
	if t.shape == quic.StreamPerMessage {
		// A bulk transfer is one byte stream; cut into messages it
		// would measure stream setup, not the path. Run never asks
		// (Applies), so this is a caller's mistake.
		return bulkOutcome{}, errors.New("quic: bulk is one stream or datagrams, not a stream per message")
	}
	// Untraced: quic-go's qlog events cost about a fifth of its
	// throughput, more than a measurement should. Its own counters of
	// packets sent and lost remain.
	untraced := quic.Config{NoTrace: true}
	counter := &bulkCounter{}
	srv := &quic.Sink{Config: untraced, OnBytes: counter.onBytes, OnMessage: counter.onDatagram}
	c, stop, err := quicDial(ctx, p, srv.Serve, func(ctx context.Context, pc net.PacketConn, addr string) (*quic.Client, error) {
		return quic.DialBulk(ctx, pc, addr, t.shape, &quic.Options{Config: untraced})
	})
	if err != nil {
		return bulkOutcome{}, err
	}
	out := bulkOutcome{
		received:  counter,
		handshake: c.Handshake(),
		start:     wire.Now(),
		stop:      stop,
		stats:     func() map[string]uint64 { return quicStats(c.Stats(), srv.Stats()) },
	}
	b := quic.Bulk{Deadline: deadline(cfg.Duration)}
	if t.shape == quic.OneStream {
		if cfg.BulkBytes > 0 {
			b = quic.Bulk{Limit: cfg.BulkBytes}
		}
		out.sent, err = c.SendBulk(ctx, b)
		if err == nil && cfg.BulkBytes > 0 {
			err = c.Finish(ctx)
		}
		return out, err
	}

	// A datagram must fit in one QUIC packet: about 1200 bytes until
	// path MTU discovery finds more, so UDP's 1400 is cut down to fit.
	b.Size = min(cfg.DatagramSize, c.MaxDatagram())
	if cfg.BulkBytes > 0 {
		b.Deadline, b.Limit = time.Time{}, (cfg.BulkBytes+int64(b.Size)-1)/int64(b.Size)
	}
	out.sent, err = c.SendBulk(ctx, b)
	return out, err
}
