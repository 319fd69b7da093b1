package harness

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
	"netmatrix/internal/wire"
	"netmatrix/quic"
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

// A flow is a client connected to a server that the harness started on
// the path for one run.
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
	// stop ends the server and closes the client.
	stop func()
	// stats returns the transport's own counters (QUIC's lost packets,
	// say) once the run is over; nil where it has none.
	stats func() map[string]uint64
	// heard returns, for an ordered transport's message stream, the byte
	// ranges the server's transport received and when, before its
	// application read them (metrics.HeadOfLine); nil where the run
	// cannot see them.
	heard func() []metrics.ByteArrival
	// spurious counts the sender's retransmissions of data the link had
	// delivered, where the run sees the flow's packets; nil elsewhere.
	spurious func() int64
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

// bulkOutcome is what a bulk transfer sent and what its sink saw. A
// transport's bulk returns as soon as the sender is done (a reliable
// transfer of fixed size: once the sink has it all), with its server and
// client still open, so the sink's count is taken before the flow is torn
// down; stop closes them.
type bulkOutcome struct {
	sent      int64 // bytes of a byte stream, datagrams otherwise
	received  *bulkCounter
	start     int64 // first send, wire.Now clock
	handshake time.Duration
	stats     func() map[string]uint64 // as flow.stats
	stop      func()                   // ends the server and the client
	// limits is what held a TCP sender back while it wrote, where the
	// path watched it (netpath.SenderWatcher).
	limits   *tcplimit.Times
	spurious func() int64 // as flow.spurious
}

// transport is one row of the comparison: how to set up each workload's
// server and client over a path.
type transport interface {
	// echo starts an echo server on the path and connects a client.
	echo(ctx context.Context, p netpath.Path, cfg *Config) (*flow, error)
	// stream starts a sink that passes every message to onMsg and
	// connects a client that sends to it.
	stream(ctx context.Context, p netpath.Path, cfg *Config, onMsg func(msg []byte, arrived int64)) (*flow, error)
	// bulk runs a whole bulk transfer.
	bulk(ctx context.Context, p netpath.Path, cfg *Config) (bulkOutcome, error)
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

// serverAddr is host:0 on the path's server host.
func serverAddr(p netpath.Path) string { return net.JoinHostPort(p.ServerHost(), "0") }
