package harness

import (
	"context"
	"fmt"
	"net"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/internal/wire"
	"netmatrix/udp"
)

// udpTransport runs the udp package's servers and clients.
type udpTransport struct{}

// listenUDP opens the server's socket on h and starts serve on it.
func listenUDP(ctx context.Context, h *serverHost, serve func(ctx context.Context, pc net.PacketConn) error) (addr string, stop func(), err error) {
	pc, err := h.net.ListenPacket(ctx, "udp", h.addr())
	if err != nil {
		return "", nil, err
	}
	stop = startServer(ctx, func(ctx context.Context) error { return serve(ctx, pc) })
	return pc.LocalAddr().String(), stop, nil
}

func (udpTransport) serve(ctx context.Context, h *serverHost, spec *half.Spec, f *localFlow) error {
	var serve func(context.Context, net.PacketConn) error
	switch spec.Workload {
	case catalog.Echo:
		serve = (&udp.EchoServer{}).Serve
	case catalog.Stream:
		serve = (&udp.Sink{OnMessage: f.col.onMsg}).Serve
	case catalog.Bulk:
		serve = (&udp.Sink{OnMessage: f.bulk.onDatagram}).Serve
	default:
		return fmt.Errorf("udp: no server half for %q", spec.Workload)
	}
	var err error
	f.addr, f.stop, err = listenUDP(ctx, h, serve)
	return err
}

func (udpTransport) echo(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	return udpFlow(ctx, c)
}

func (udpTransport) stream(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error) {
	return udpFlow(ctx, c)
}

func udpFlow(ctx context.Context, c *clientEnd) (*flow, error) {
	conn, err := udp.Dial(ctx, c.dial, c.addr())
	if err != nil {
		return nil, err
	}
	return &flow{conn: conn, stop: func() { conn.Close() }}, nil
}

func (udpTransport) bulk(ctx context.Context, c *clientEnd, cfg *Config) (bulkOutcome, error) {
	conn, err := udp.Dial(ctx, c.dial, c.addr())
	if err != nil {
		return bulkOutcome{}, err
	}
	out := bulkOutcome{start: wire.Now(), stop: func() { conn.Close() }}
	b := udp.Bulk{Size: cfg.DatagramSize, Rate: cfg.BulkRate, Deadline: deadline(cfg.Duration)}
	if cfg.BulkBytes > 0 {
		b.Deadline, b.Count = time.Time{}, (cfg.BulkBytes+int64(b.Size)-1)/int64(b.Size)
	}
	out.sent, err = conn.SendBulk(ctx, b)
	return out, err
}
