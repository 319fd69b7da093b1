package harness

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

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
	Close() error
}

// A flow is a client connected to a server that the harness started on
// the path for one run.
type flow struct {
	conn msgConn
	// reliable transports deliver every message or fail; an echo reply
	// that does not come is a stalled connection, not a lost probe.
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
}

// bulkOutcome is what a bulk transfer sent and what its sink saw. A
// transport's bulk returns as soon as the run is over, with its server
// and client still open, so the sink's count is taken before the flow is
// torn down; stop closes them.
type bulkOutcome struct {
	unit      string // "bytes" for a byte stream, "datagrams" for messages
	reliable  bool   // what has not arrived is still on its way, not lost
	sent      int64  // in unit
	received  *bulkCounter
	start     int64 // first send, wire.Now clock
	handshake time.Duration
	stats     func() map[string]uint64 // as flow.stats
	stop      func()                   // ends the server and the client
}

// transport is one row of the comparison: how to set up each workload's
// server and client over a path.
type transport interface {
	// echo starts an echo server on the path and connects a client.
	echo(ctx context.Context, p Path, cfg *Config) (*flow, error)
	// stream starts a sink that passes every message to onMsg and
	// connects a client that sends to it.
	stream(ctx context.Context, p Path, cfg *Config, onMsg func(msg []byte, arrived int64)) (*flow, error)
	// bulk runs a whole bulk transfer.
	bulk(ctx context.Context, p Path, cfg *Config) (bulkOutcome, error)
}

// transports are the rows netmatrix knows, in the order tables show them.
var transports = map[string]transport{
	"tcp":         tcpTransport{},
	"udp":         udpTransport{},
	"quic":        quicTransport{quic.OneStream},
	"quic-permsg": quicTransport{quic.StreamPerMessage},
	"quic-dgram":  quicTransport{quic.Datagrams},
}

// transportOrder is the display order; names missing from transports are
// skipped.
var transportOrder = []string{"tcp", "udp", "quic", "quic-permsg", "quic-dgram"}

// TransportNames lists the transports this build can run.
func TransportNames() []string {
	var names []string
	for _, n := range transportOrder {
		if _, ok := transports[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// WorkloadNames lists the workloads, in the order they run.
func WorkloadNames() []string { return []string{"echo", "stream", "bulk", "http"} }

// ParseList checks a comma-separated list against the known names and
// returns it in canonical order.
func ParseList(what, s string, known []string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, name, strings.Join(known, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s given (known: %s)", what, strings.Join(known, ", "))
	}
	slices.SortStableFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, nil
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
func serverAddr(p Path) string { return net.JoinHostPort(p.ServerHost(), "0") }
