package harness

import (
	"context"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
	"netmatrix/internal/wire"
	"netmatrix/quic"
	"netmatrix/results"
)

// msgConn is a client's view of a message flow: what tcp.Client,
// udp.Client and the QUIC clients have in common.
type msgConn interface {
	WriteMsg(p []byte) error
	// ReadMsg reads one message into p. On a byte stream (TCP) the
	// message is len(p) bytes long.
	ReadMsg(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	// SetWriteDeadline bounds WriteMsg: a peer that stops reading, or
	// the run's cancellation, cuts a blocked write short.
	SetWriteDeadline(t time.Time) error
	Close() error
}

// A flow is a client connected to a server half that the engine started
// for one run.
type flow struct {
	conn msgConn
	// reliable is the catalog's word on the transport (the engine sets
	// it): a reply that does not come is a stalled connection, not a
	// lost probe.
	reliable bool
	// finish waits until the server has every message sent so far; nil
	// for datagram transports, which promise nothing.
	finish func(ctx context.Context) error
	// handshake is how long the connection took to set up, where the
	// transport has a handshake.
	handshake time.Duration
	// stop closes the client.
	stop func()
	// stats returns the client's transport counters (QUIC's lost
	// packets, say) once the run is over; nil where it has none. The
	// server half reports its own (half.Report.Stats).
	stats func() map[string]uint64
}

// transportStats is what f.stats returns now; nil where it has none.
func (f *flow) transportStats() map[string]uint64 { return statsNow(f.stats) }

// statsNow is what stats returns now; nil where there is no stats.
func statsNow(stats func() map[string]uint64) map[string]uint64 {
	if stats == nil {
		return nil
	}
	return stats()
}

// messageFraming is where message k of a stream flow lies in its byte
// stream: after the flow's first byte, each with its length prefix.
func messageFraming(cfg *Config) metrics.Framing {
	return metrics.Framing{Start: wire.FlowKindLen, Size: int64(wire.FramePrefixLen + cfg.Size)}
}

// byteLog keeps byte-range arrivals reported from several goroutines.
type byteLog struct {
	mu   sync.Mutex
	list []metrics.ByteArrival
}

func (l *byteLog) add(a metrics.ByteArrival) {
	l.mu.Lock()
	l.list = append(l.list, a)
	l.mu.Unlock()
}

func (l *byteLog) arrivals() []metrics.ByteArrival {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// bulkOutcome is what the client of a bulk transfer sent. A transport's
// bulk returns as soon as the sender is done (a reliable transfer of
// fixed size: once the sink has it all), with its client still open, so
// the server half's count is taken before the flow is torn down; stop
// closes the client.
type bulkOutcome struct {
	sent      int64 // bytes of a byte stream, datagrams otherwise
	start     int64 // first send, wire.Now clock
	handshake time.Duration
	stats     func() map[string]uint64 // as flow.stats
	stop      func()                   // closes the client
	// limits is what held a TCP sender back while it wrote, where the
	// path watched it (netpath.SenderWatcher).
	limits *tcplimit.Times
}

// transport is one row of the comparison: how to run each workload's
// server half and client over a path.
type transport interface {
	// serve starts the server half spec asks for on h and fills in f
	// (serverhalf.go): where it listens, how to stop it, and what it
	// can report beyond the collectors f came with.
	serve(ctx context.Context, h *serverHost, spec *half.Spec, f *localFlow) error
	// echo connects an echo client to the server half.
	echo(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error)
	// stream connects a client that sends messages to the server half.
	stream(ctx context.Context, c *clientEnd, cfg *Config) (*flow, error)
	// bulk runs the client's side of a whole bulk transfer.
	bulk(ctx context.Context, c *clientEnd, cfg *Config) (bulkOutcome, error)
	// receive connects a client that receives what the server half
	// sends (half.Down) and hands it to r. Its flow has no conn.
	receive(ctx context.Context, c *clientEnd, cfg *Config, r *receiving) (*flow, error)
}

// transports are the adapters of the catalog's rows.
var transports = map[string]transport{
	catalog.TCP:        tcpTransport{},
	catalog.UDP:        udpTransport{},
	catalog.QUIC:       quicTransport{quic.OneStream},
	catalog.QUICPerMsg: quicTransport{quic.StreamPerMessage},
	catalog.QUICDgram:  quicTransport{quic.Datagrams},
}

// startServer runs serve in the background until the returned stop is
// called; stop waits for it to return.
func startServer(ctx context.Context, serve func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// clientEnd is the client's side of a run: its host's network and the
// server half it talks to.
type clientEnd struct {
	net  netpath.Network
	half half.Flow
	// senders follows what holds a TCP sender back, where the path can;
	// nil elsewhere.
	senders netpath.SenderWatcher
	taps    *tapMux // the path's tap, where it has one
}

// addr is where the server half listens.
func (c *clientEnd) addr() string { return c.half.Addr() }

// dial opens a connection on the client's host and binds it to the
// server half (half.Flow.Bind) before the flow's first byte.
func (c *clientEnd) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := c.net.Dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := c.half.Bind(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// withServerStats puts the server half's counters, named by
// results.ServerStat, next to the client's.
func withServerStats(client, server map[string]uint64) map[string]uint64 {
	if len(server) == 0 {
		return client
	}
	m := make(map[string]uint64, len(client)+len(server))
	maps.Copy(m, client)
	for k, v := range server {
		m[results.ServerStat(k)] = v
	}
	return m
}
