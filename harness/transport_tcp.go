package harness

import (
	"context"

	"netmatrix/internal/wire"
	"netmatrix/tcp"
)

// tcpTransport runs the tcp package's servers and clients.
type tcpTransport struct{}

func (tcpTransport) echo(ctx context.Context, p Path, cfg *Config) (*flow, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return nil, err
	}
	srv := &tcp.EchoServer{Nagle: cfg.Nagle}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	t0 := wire.Now()
	c, err := tcp.DialEcho(ctx, p.Client().Dial, ln.Addr().String(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		stop()
		return nil, err
	}
	return &flow{conn: c, reliable: true, handshake: wire.Since(t0), stop: func() { c.Close(); stop() }}, nil
}

func (tcpTransport) stream(ctx context.Context, p Path, cfg *Config, onMsg func([]byte, int64)) (*flow, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return nil, err
	}
	srv := &tcp.Sink{OnMessage: onMsg}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	t0 := wire.Now()
	c, err := tcp.DialMessages(ctx, p.Client().Dial, ln.Addr().String(), tcp.Options{Nagle: cfg.Nagle})
	if err != nil {
		stop()
		return nil, err
	}
	return &flow{conn: c, reliable: true, finish: c.Finish, handshake: wire.Since(t0), stop: func() { c.Close(); stop() }}, nil
}

func (tcpTransport) bulk(ctx context.Context, p Path, cfg *Config) (bulkOutcome, error) {
	ln, err := p.Server().Listen(ctx, "tcp", serverAddr(p))
	if err != nil {
		return bulkOutcome{}, err
	}
	counter := &bulkCounter{}
	srv := &tcp.Sink{OnBytes: counter.onBytes}
	stop := startServer(ctx, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	t0 := wire.Now()
	c, err := tcp.DialBulk(ctx, p.Client().Dial, ln.Addr().String(), tcp.Options{})
	if err != nil {
		stop()
		return bulkOutcome{}, err
	}
	out := bulkOutcome{unit: "bytes", reliable: true, received: counter, handshake: wire.Since(t0), start: wire.Now(),
		stop: func() { c.Close(); stop() }}
	out.sent, err = c.SendBulk(ctx, deadline(cfg.Duration), cfg.BulkBytes)
	if err == nil && cfg.BulkBytes > 0 {
		err = c.Finish(ctx)
	}
	return out, err
}
