package harness

import (
	"context"
	"net"
	"time"

	"netmatrix/harness/netpath"
	"netmatrix/internal/wire"
	"netmatrix/udp"
)

// udpTransport runs the udp package's servers and clients.
type udpTransport struct{}

// listenUDP opens the server's socket on the path and starts serve on it.
func listenUDP(ctx context.Context, p netpath.Path, serve func(ctx context.Context, pc net.PacketConn) error) (addr string, stop func(), err error) {
	pc, err := p.Server().ListenPacket(ctx, "udp", serverAddr(p))
	if err != nil {
		return "", nil, err
	}
	stop = startServer(ctx, func(ctx context.Context) error { return serve(ctx, pc) })
	return pc.LocalAddr().String(), stop, nil
}

func (udpTransport) echo(ctx context.Context, p netpath.Path, cfg *Config) (*flow, error) {
	srv := &udp.EchoServer{}
	return udpFlow(ctx, p, srv.Serve)
}

func (udpTransport) stream(ctx context.Context, p netpath.Path, cfg *Config, onMsg func([]byte, int64)) (*flow, error) {
	srv := &udp.Sink{OnMessage: onMsg}
	return udpFlow(ctx, p, srv.Serve)
}

func udpFlow(ctx context.Context, p netpath.Path, serve func(context.Context, net.PacketConn) error) (*flow, error) {
	addr, stop, err := listenUDP(ctx, p, serve)
	if err != nil {
		return nil, err
	}
	c, err := udp.Dial(ctx, p.Client().Dial, addr)
	if err != nil {
		stop()
		return nil, err
	}
	return &flow{conn: c, stop: func() { c.Close(); stop() }}, nil
}

func (udpTransport) bulk(ctx context.Context, p netpath.Path, cfg *Config) (bulkOutcome, error) {
	counter := &bulkCounter{}
	srv := &udp.Sink{OnMessage: counter.onDatagram}
	addr, stop, err := listenUDP(ctx, p, srv.Serve)
	if err != nil {
		return bulkOutcome{}, err
	}
	c, err := udp.Dial(ctx, p.Client().Dial, addr)
	if err != nil {
		stop()
		return bulkOutcome{}, err
	}
	out := bulkOutcome{received: counter, start: wire.Now(), stop: func() { c.Close(); stop() }}
	b := udp.Bulk{Size: cfg.DatagramSize, Rate: cfg.BulkRate, Deadline: deadline(cfg.Duration)}
	if cfg.BulkBytes > 0 {
		b.Deadline, b.Count = time.Time{}, (cfg.BulkBytes+int64(b.Size)-1)/int64(b.Size)
	}
	out.sent, err = c.SendBulk(ctx, b)
	return out, err
}
