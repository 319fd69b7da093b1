package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Transport names, as the command line takes them and the record keeps
// them.
const (
	TCP        = "tcp"
	UDP        = "udp"
	QUIC       = "quic"        // QUIC, every message on one stream
	QUICPerMsg = "quic-permsg" // QUIC, a stream per message
	QUICDgram  = "quic-dgram"  // QUIC, RFC 9221 unreliable datagrams
)

// Workload names.
const (
	Echo   = "echo"
	Stream = "stream"
	Bulk   = "bulk"
	HTTP   = "http"
)

// A Transport is one row of every table.
type Transport struct {
	Name string
	// About says what the row is, in a few words, for help and legends.
	About string
	// Reliable transports deliver every message or fail: a reply that
	// does not come is a stalled connection, not a lost probe, and what a
	// bulk sender has not delivered yet is queued, not lost.
	Reliable bool
	// Ordered transports hand messages over in the order they were sent,
	// so a late one holds back those behind it (head-of-line delay). The
	// others hand each over as it comes and have no such delay.
	Ordered bool
	// ByteStream transports carry bytes, not messages: messages need a
	// length prefix, and bulk counts bytes rather than datagrams.
	ByteStream bool
	// Workloads are the workloads it runs, of Workloads().
	Workloads []string
}

// every is every workload, for the transports that run them all.
var every = []string{Echo, Stream, Bulk, HTTP}

// transports are the rows, in the order tables show them.
var transports = []Transport{
	{Name: TCP, About: "TCP", Reliable: true, Ordered: true, ByteStream: true, Workloads: every},
	{Name: UDP, About: "UDP datagrams", Workloads: []string{Echo, Stream, Bulk}},
	{Name: QUIC, About: "QUIC, all messages on one stream: TCP's shape", Reliable: true, Ordered: true, ByteStream: true,
		Workloads: []string{Echo, Stream, Bulk}},
	// A bulk transfer is one byte stream: cut into a stream per message
	// it would measure stream setup, not the path.
	{Name: QUICPerMsg, About: "QUIC, one stream per message", Reliable: true, Workloads: []string{Echo, Stream}},
	{Name: QUICDgram, About: "QUIC RFC 9221 datagrams: UDP's shape, encrypted and congestion-controlled",
		Workloads: []string{Echo, Stream, Bulk}},
}

// aliases are names that stand for several rows. "quic" asks for both
// QUIC stream shapes: the choice between them is what the pair of rows
// shows.
var aliases = map[string][]string{QUIC: {QUIC, QUICPerMsg}}

// Aliases are the names that stand for several rows, and the rows.
func Aliases() map[string][]string { return maps.Clone(aliases) }

// DefaultTransports is every row, as a user would write it.
const DefaultTransports = TCP + "," + UDP + "," + QUIC + "," + QUICDgram

// Metric is what a workload's latency measures, as the record names it.
type Metric string

// The latencies the workloads measure.
const (
	RTT         Metric = "rtt"           // RFC 2681 round trip: a message there and its echo back
	OneWayDelay Metric = "one_way_delay" // RFC 7679: send to delivery, on one clock
	RequestTime Metric = "request_time"  // an HTTP request's first byte written to its response's last byte read
)

// Quantity names what the metric measures, for plot titles and axes
// ("round-trip time"); "" for none.
func (m Metric) Quantity() string {
	switch m {
	case RTT:
		return "round-trip time"
	case OneWayDelay:
		return "one-way delay"
	case RequestTime:
		return "request time"
	}
	return ""
}

// Phase is when a workload's runs go, relative to the others. Runs of an
// earlier phase come first; within a phase, workloads keep their order.
type Phase int

const (
	// Paced runs follow the clock, not the CPU: they go first, side by
	// side on a path whose delay dwarfs what sharing the CPU adds
	// (milliseconds against microseconds), and one at a time on a fast
	// one, where a shared CPU shows in their sub-millisecond delays.
	Paced Phase = iota
	// Latency runs go side by side, or one at a time, by the same rule.
	Latency
	// Throughput runs want every cycle: one at a time, last.
	Throughput
)

// A Workload is one table: what the application does over each transport.
type Workload struct {
	Name string
	// Title heads the workload's table.
	Title string
	// Latency is what its latency figures measure; "" where it has none.
	Latency Metric
	// Measures names that latency in a sentence ("tcp's p99 round trip
	// was ..."), shorter than its Quantity.
	Measures string
	Phase    Phase
}

// workloads are the tables, in the order they run and show.
var workloads = []Workload{
	{Name: Echo, Title: "echo: round-trip time of one message at a time (ms)", Latency: RTT, Measures: "round trip", Phase: Latency},
	{Name: Stream, Title: "stream: paced one-way messages, one-way delay (ms)", Latency: OneWayDelay, Measures: "one-way delay", Phase: Paced},
	{Name: Bulk, Title: "bulk: as fast as the path allows", Phase: Throughput},
	{Name: HTTP, Title: "http: request latency over the raw HTTP/1.1 server (ms)", Latency: RequestTime, Measures: "request time", Phase: Latency},
}

// Transports lists the rows in table order.
func Transports() []Transport { return slices.Clone(transports) }

// TransportNames lists the rows' names in table order.
func TransportNames() []string { return names(transports, func(t Transport) string { return t.Name }) }

// WorkloadNames lists the workloads in the order they run.
func WorkloadNames() []string { return names(workloads, func(w Workload) string { return w.Name }) }

func names[T any](list []T, name func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = name(v)
	}
	return out
}

// LookupTransport finds a row by name.
func LookupTransport(name string) (Transport, bool) {
	i := slices.IndexFunc(transports, func(t Transport) bool { return t.Name == name })
	if i < 0 {
		return Transport{}, false
	}
	return transports[i], true
}

// LookupWorkload finds a workload by name.
func LookupWorkload(name string) (Workload, bool) {
	i := slices.IndexFunc(workloads, func(w Workload) bool { return w.Name == name })
	if i < 0 {
		return Workload{}, false
	}
	return workloads[i], true
}

// Runs reports whether transport runs workload at all: HTTP/1.1 runs
// over TCP alone, and bulk has no stream-per-message row.
func Runs(transport, workload string) bool {
	t, ok := LookupTransport(transport)
	return ok && slices.Contains(t.Workloads, workload)
}

// Reliable reports whether the named transport delivers every message.
func Reliable(transport string) bool {
	t, ok := LookupTransport(transport)
	return ok && t.Reliable
}

// TransportIndex and WorkloadIndex give a name's place in table order;
// unknown names go last.
func TransportIndex(name string) int {
	return indexOrLast(transports, func(t Transport) bool { return t.Name == name })
}

func WorkloadIndex(name string) int {
	return indexOrLast(workloads, func(w Workload) bool { return w.Name == name })
}

// indexOrLast is the place in list of the first entry that is, or
// len(list) where none is.
func indexOrLast[T any](list []T, is func(T) bool) int {
	if i := slices.IndexFunc(list, is); i >= 0 {
		return i
	}
	return len(list)
}

// ParseTransports reads a comma-separated list of transports, each alias
// replaced by its rows ("quic" is both QUIC stream shapes, so
// DefaultTransports names every row), and returns it in table order.
func ParseTransports(list string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if rows, ok := aliases[name]; ok {
			out = append(out, rows...)
		} else {
			out = append(out, name)
		}
	}
	return parseList("transport", out, TransportNames())
}

// ParseWorkloads reads a comma-separated list of workloads and returns it
// in the order they run.
func ParseWorkloads(list string) ([]string, error) {
	return parseList("workload", strings.Split(list, ","), WorkloadNames())
}

// parseList checks names against known, drops blanks and repeats, and
// sorts them in known's order.
func parseList(what string, names, known []string) ([]string, error) {
	var out []string
	for _, name := range names {
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
	// Every name is known by now.
	slices.SortStableFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, nil
}
