package harness

import (
	"bytes"
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
	switch {
	case f.send != nil:
		cfg := specConfig(spec)
		serve = func(ctx context.Context, pc net.PacketConn) error {
			return serveUDPSource(ctx, pc, func(ctx context.Context, c *udp.Client) error {
				return f.send.run(ctx, func(ctx context.Context) (int64, error) {
					if spec.Workload == catalog.Bulk {
						return sendUDPBulk(ctx, c, cfg)
					}
					return sendStream(ctx, c, cfg)
				})
			})
		}
	case spec.Workload == catalog.Echo:
		serve = (&udp.EchoServer{}).Serve
	case f.recv != nil:
		serve = (&udp.Sink{OnMessage: f.recv.onDatagram}).Serve
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
	out.sent, err = sendUDPBulk(ctx, conn, cfg)
	return out, err
}

// sendUDPBulk sends numbered datagrams on conn at BulkRate, for Duration
// or until BulkBytes have gone.
func sendUDPBulk(ctx context.Context, conn *udp.Client, cfg *Config) (int64, error) {
	b := udp.Bulk{Size: cfg.DatagramSize, Rate: cfg.BulkRate, Deadline: deadline(cfg.Duration), Count: datagrams(cfg.sendCap, cfg.DatagramSize)}
	if cfg.BulkBytes > 0 {
		b.Deadline, b.Count = time.Time{}, datagrams(cfg.BulkBytes, b.Size)
	}
	return conn.SendBulk(ctx, b)
}

// datagrams is how many datagrams of size bytes carry n bytes.
func datagrams(n int64, size int) int64 {
	return (n + int64(size) - 1) / int64(size)
}

// udpAsk is the datagram a client sends a UDP server half that sends
// (down) to ask for its flow: UDP has no connection to say a client is
// there, and where.
var udpAsk = []byte("netmatrix: send the flow")

// udpAskEvery is how often a client asks again until the flow's first
// datagram comes: the ask, or the first datagrams, may be lost.
const udpAskEvery = 100 * time.Millisecond

// serveUDPSource waits on pc for a client to ask for the flow (udpAsk),
// then sends it with send to the address the ask came from, and serves
// until ctx is done. It closes pc before it returns.
func serveUDPSource(ctx context.Context, pc net.PacketConn, send func(context.Context, *udp.Client) error) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	buf := make([]byte, 2048)
	var from net.Addr
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return nil // closed: the server half stopped
		}
		if bytes.Equal(buf[:n], udpAsk) {
			from = addr
			break
		}
	}
	to := &packetConnTo{pc, from}
	c, err := udp.Dial(ctx, func(context.Context, string, string) (net.Conn, error) { return to, nil }, from.String())
	if err != nil {
		return err
	}
	defer c.Close()
	send(ctx, c)
	// The asks still coming, and anything else, are read and dropped.
	for {
		if _, _, err := pc.ReadFrom(buf); err != nil {
			return nil
		}
	}
}

func (udpTransport) receive(ctx context.Context, c *clientEnd, cfg *Config, r *receiving) (*flow, error) {
	conn, err := c.dial(ctx, "udp", c.addr())
	if err != nil {
		return nil, fmt.Errorf("udp: dial %s: %w", c.addr(), err)
	}
	pc, ok := conn.(net.PacketConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("udp: a %T cannot be read as datagrams", conn)
	}
	sink := &udp.Sink{OnMessage: r.onDatagram}
	stopSink := startServer(ctx, func(ctx context.Context) error { return sink.Serve(ctx, pc) })
	// Ask until the first datagram comes, or for as long as a stalled
	// flow gets.
	stopAsking := startServer(ctx, func(ctx context.Context) error {
		t := time.NewTicker(udpAskEvery)
		defer t.Stop()
		for end := time.Now().Add(cfg.Stall); time.Now().Before(end) && r.arrived() == 0; {
			if _, err := conn.Write(udpAsk); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
		return nil
	})
	return &flow{stop: func() { stopAsking(); stopSink() }}, nil
}
