package results

import (
	"runtime"
	"time"

	"netmatrix/harness/link"
)

// Schema is the version of the JSON record this package writes. It grows
// by one whenever a field changes meaning or goes away; new fields alone
// do not change it. Version 2 names every unit in its field's name, gives
// times as numbers of milliseconds, says what each latency measures
// (Metric) and leaves out the fields a row has no figure for. ReadJSON
// reads version 1 too (see v1.go). docs/schema.md explains every field.
const Schema = 2

// Record is one run: one scenario on one path, every transport and
// workload that ran on it.
type Record struct {
	Schema      int         `json:"schema"`
	Scenario    Scenario    `json:"scenario"`
	Environment Environment `json:"environment"`
	Results     []Result    `json:"results"`
	// Command is the command line that made the record, so a reader can
	// make it again; empty for records made by code.
	Command string `json:"command,omitempty"`
}

// Scenario is what was run: the path, its impairment and the workload
// settings.
type Scenario struct {
	Name    string    `json:"name"`             // "clean", "lossy", a profile name, "custom" or "remote HOST"
	Link    string    `json:"link"`             // the path's kind: a Link... constant
	Target  string    `json:"target,omitempty"` // an outside echo server, when one was measured
	Started time.Time `json:"started"`          // when the run began
	Seed    int64     `json:"seed,omitempty"`   // the link's random seed
	Up      *Link     `json:"up,omitempty"`     // client to server impairment
	Down    *Link     `json:"down,omitempty"`   // server to client impairment
	// Count is the number of messages of each echo and stream run.
	Count int `json:"count,omitempty"`
	// Size is each echo and stream message, header included.
	Size int `json:"size_bytes,omitempty"`
	// Interval paces the stream workload.
	Interval Ms `json:"interval_ms,omitempty"`
	// EchoMode is how the echo workload sent: EchoPingPong (one message
	// in flight) or EchoPaced (one every EchoInterval).
	EchoMode     string `json:"echo_mode,omitempty"`
	EchoInterval Ms     `json:"echo_interval_ms,omitempty"`
	// Timeout is how long a datagram transport's echo reply may take
	// before its probe counts as lost, in either mode.
	Timeout Ms `json:"timeout_ms,omitempty"`
	// Duration is how long each time-limited bulk run sent.
	Duration Ms `json:"duration_ms,omitempty"`
	// BulkBytes, when set, made bulk a transfer of this many bytes.
	BulkBytes int64 `json:"bulk_bytes,omitempty"`
	Nagle     bool  `json:"nagle,omitempty"` // Nagle's algorithm left on for TCP
	// CongestionControl is the TCP congestion control of the path's
	// stacks (reno or cubic).
	CongestionControl string `json:"congestion_control,omitempty"`
	// SendBuffer and ReceiveBuffer are the TCP socket buffers asked for
	// (-sndbuf, -rcvbuf), as SO_SNDBUF and SO_RCVBUF take them (the
	// stacks keep them doubled); zero where the stacks autotuned their
	// own.
	SendBuffer    int64 `json:"send_buffer_bytes,omitempty"`
	ReceiveBuffer int64 `json:"receive_buffer_bytes,omitempty"`
	// Direction is which way the bulk and stream flows went: "down"
	// (the server sent) or "bidir" (both ways at once, a row each);
	// absent for the default, the client sending.
	Direction string `json:"direction,omitempty"`
	// Sweep places the scenario in a sweep: the one link setting that
	// varies from record to record, and its value in this one. Nil for a
	// scenario that is not part of a sweep.
	Sweep *Sweep `json:"sweep,omitempty"`
}

// The echo workload's modes, as Scenario.EchoMode names them.
const (
	EchoPingPong = "ping-pong"
	EchoPaced    = "paced"
)

// Sweep is one point of a sweep over a link setting.
type Sweep struct {
	// Param is the setting swept: loss, delay, jitter or bandwidth.
	Param string `json:"param"`
	// Value is the setting in Unit: a share (0..1) for loss, seconds for
	// delay and jitter, bits per second for bandwidth.
	Value float64 `json:"value"`
	Unit  string  `json:"unit"` // "share", "s" or "bit/s"
	// Text is the value as the command line had it ("2%", "20ms").
	Text string `json:"text"`
}

// Link is one direction's impairment, as set.
type Link struct {
	Loss          float64 `json:"loss"`                        // share, 0..1
	BurstLen      float64 `json:"burst_len_packets,omitempty"` // mean loss burst
	Delay         Ms      `json:"delay_ms"`                    // one-way
	Jitter        Ms      `json:"jitter_ms,omitempty"`
	Reorder       float64 `json:"reorder,omitempty"`       // share sent ahead of the queue
	Duplicate     float64 `json:"duplicate,omitempty"`     // share delivered twice
	BandwidthBits int64   `json:"bandwidth_bps,omitempty"` // bits per second; 0: unlimited
	Queue         int     `json:"queue_packets,omitempty"`
	MTU           int     `json:"mtu_bytes,omitempty"`
}

// Environment is the machine a run was made on.
type Environment struct {
	GoVersion string `json:"go"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
}

// HostEnvironment describes this machine.
func HostEnvironment() Environment {
	return Environment{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()}
}

// Result is what one transport gave the application in one workload.
// Counts are in Unit; a field a row has no figure for (the latency of a
// bulk transfer, the goodput of an echo) is absent from the JSON, never
// a zero that reads as a measurement.
type Result struct {
	Transport string `json:"transport"`
	Workload  string `json:"workload"`
	// Direction is which way a bulk or stream row's flow went:
	// DirectionUp (client to server) or DirectionDown. Absent means up,
	// the default.
	Direction string `json:"direction,omitempty"`
	Unit      string `json:"unit,omitempty"` // what Sent and Delivered count: a Unit... constant

	Sent       int64 `json:"sent"`
	Delivered  int64 `json:"delivered"` // unique messages that arrived intact
	Lost       int64 `json:"lost"`
	Reordered  int64 `json:"reordered"` // RFC 4737: arrived after a later-sent one
	Duplicates int64 `json:"duplicates"`
	Corrupt    int64 `json:"corrupt,omitempty"` // arrived with the wrong bytes
	// Late counts echo replies that came after their probe's timeout:
	// the probe is among the lost.
	Late int64 `json:"late,omitempty"`
	// InFlight is what was sent that had no outcome when the run ended,
	// counted neither delivered nor lost: what a reliable bulk sender had
	// written but not delivered when its time was up (queued in its
	// socket or on the path), or the messages an interrupted echo or
	// stream still had on their way.
	InFlight int64 `json:"in_flight,omitempty"`

	// Metric names what LatencyMs measures (catalog.Metric): "rtt",
	// "one_way_delay" or "request_time".
	Metric    string   `json:"metric,omitempty"`
	LatencyMs *Latency `json:"latency_ms,omitempty"`
	// ClockOffsetMs and ClockBoundMs are set where the one-way delays
	// in LatencyMs span two hosts' clocks (a remote path): the server's
	// clock was ClockOffsetMs ahead of the client's, as estimated over
	// the control channel, and the delays are corrected by it, each
	// uncertain by ±ClockBoundMs.
	ClockOffsetMs *float64 `json:"clock_offset_ms,omitempty"`
	ClockBoundMs  *float64 `json:"clock_bound_ms,omitempty"`
	// JitterMs is RFC 3550's interarrival jitter (stream).
	JitterMs *float64 `json:"jitter_ms,omitempty"`
	// ReorderExtentMax is RFC 4737's largest reordering extent, in packets.
	ReorderExtentMax int64 `json:"reorder_extent_max,omitempty"`
	// HOLMs is head-of-line delay (stream, ordered transports only): how
	// long delivered messages waited behind an earlier one that was late.
	HOLMs *Latency `json:"hol_ms,omitempty"`

	// GoodputMbitS is intact payload delivered, in megabits per second:
	// over the run's length when it was time-limited, over its
	// completion time when it was a transfer of fixed size (bulk).
	GoodputMbitS *float64 `json:"goodput_mbit_s,omitempty"`
	Bytes        int64    `json:"bytes,omitempty"` // payload bytes delivered
	// Elapsed is the time GoodputMbitS is over.
	Elapsed  Ms    `json:"elapsed_ms,omitempty"`
	Verified *bool `json:"verified,omitempty"` // bulk: every delivered byte matched what was sent

	// LinkShare is the share of the link's rate limit that a bulk
	// flow's direction carried over the run, its packets' headers and
	// retransmissions included; absent on a link without one.
	LinkShare *float64 `json:"link_share,omitempty"`
	// LimitedBy names what bounded a TCP or QUIC bulk flow (the
	// LimitedBy constants): for TCP, where the path watched its sender
	// (LimitedMs); for QUIC, from the losses its sender declared and
	// what the link dropped. Empty where nothing tells.
	LimitedBy string `json:"limited_by,omitempty"`
	// LimitedMs is how long the sender spent held by each limit while
	// its writer wrote, the reading behind LimitedBy.
	LimitedMs *SenderLimits `json:"limited_ms,omitempty"`
	// MaxSendBuffer and MaxPeerWindow are the largest send buffer the
	// sender had and the largest receive window its peer advertised,
	// as the sender's stack counts them: the sizes a buffer or a window
	// limit ran into.
	MaxSendBuffer int64 `json:"max_send_buffer_bytes,omitempty"`
	MaxPeerWindow int64 `json:"max_peer_window_bytes,omitempty"`
	// WindowInFlight is the mean bytes the sender had in flight (not
	// selectively acknowledged, not taken for lost) while a window or
	// its send buffer held it: what those limits let it keep on the
	// path, to hold against the link's bandwidth-delay product.
	WindowInFlight int64 `json:"window_in_flight_bytes,omitempty"`
	// WindowRTT is the sender's mean smoothed round trip over the same
	// time, to hold against the longest the link can make.
	WindowRTT Ms `json:"window_rtt_ms,omitempty"`

	HandshakeMs float64 `json:"handshake_ms,omitempty"` // connection setup, apart from the workload

	// Path is what the link and the stacks did during this run.
	Path *PathStats `json:"path,omitempty"`
	// TransportStats are the transport's own counters (QUIC's lost
	// packets, TCP_INFO), keyed by name with their unit as a suffix.
	TransportStats map[string]uint64 `json:"transport_stats,omitempty"`

	// EmulatorBound says the emulator or the CPU, not the transport, set
	// this row's figures: the relay handed packets over late by more than
	// a tenth of the row's median latency, or (bulk) by more than a tenth
	// of the link's round trip (and at least a millisecond). See
	// Path.RelayLateness.
	EmulatorBound bool `json:"emulator_bound,omitempty"`

	// Interrupted says the run was cut short (Ctrl-C, SIGTERM) StoppedAt
	// into it: its counts cover what happened until then.
	Interrupted bool `json:"interrupted,omitempty"`
	StoppedAt   Ms   `json:"stopped_at_ms,omitempty"`

	Error string `json:"error,omitempty"` // why the run did not complete
}

// What a LimitedBy says bounded a TCP or QUIC flow.
const (
	// LimitedByLink: the link's rate limit ran at 85% of its bandwidth
	// or more over the run.
	LimitedByLink = "link"
	// LimitedByEmulator: the machine emulating the path set the rate,
	// not TCP or the link: the relay handed packets over late, or the
	// sender had room to send and its writer or stack, sharing the CPU
	// with the relay, did not use it.
	LimitedByEmulator = "emulator"
	// LimitedByCPU: as LimitedByEmulator on loopback, which has no
	// relay: the sender had room and the CPU did not fill it.
	LimitedByCPU = "cpu"
	// LimitedByReceiver: the receiving end dropped most of the packets
	// the sender declared lost, not the link (QUIC: the receiver's
	// queue of packets not yet processed, or its socket buffer, ran
	// full), and the sender's congestion control took them for
	// congestion; the rate is the receiving machine's.
	LimitedByReceiver = "receiver"
	// The window or buffer that was full the longest.
	LimitedByCongestion    = "congestion"
	LimitedByReceiveWindow = "receive_window"
	LimitedBySendBuffer    = "send_buffer"
)

// SenderLimits is how long a TCP sender spent in each state: repairing a
// loss (Recovery), then in Linux's order (tcp_write_xmit): the peer's
// receive window full; the congestion window full; all written data in
// flight and the writer waiting for room in the send buffer; room to send
// and the writer behind; room and data, not sent by the stack. Busy is
// their sum, as tcpi_busy_time.
type SenderLimits struct {
	Busy          Ms `json:"busy"`
	ReceiveWindow Ms `json:"receive_window"`
	Congestion    Ms `json:"congestion"`
	Recovery      Ms `json:"recovery"`
	SendBuffer    Ms `json:"send_buffer"`
	Writer        Ms `json:"writer"`
	Stack         Ms `json:"stack"`
}

// Float is v as an optional figure (a Result's JitterMs, say).
func Float(v float64) *float64 { return &v }

// Latency is a distribution summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	N    int64   `json:"n"` // samples
	// CDF is the distribution as steps, in increasing order, for plots;
	// it may be thinned but keeps the first and the largest sample.
	CDF []CDFPoint `json:"cdf,omitempty"`
}

// CDFPoint says that a share Q of the samples were at most Ms.
type CDFPoint struct {
	Ms float64 `json:"ms"`
	Q  float64 `json:"q"`
}

// PathStats is what the path did to packets during one run: the link's
// own counters each way, and what the stacks at its ends counted apart
// from the link.
type PathStats struct {
	Up   link.Counters `json:"up"`   // client to server
	Down link.Counters `json:"down"` // server to client
	// TCPRetransmits counts segments retransmitted by both hosts' TCP.
	TCPRetransmits uint64 `json:"tcp_retransmits"`
	// TCPSpuriousRetransmits counts the data segments of a TCP row's
	// flow that the link delivered to its receiver when every byte of
	// them had arrived before (the sender's spurious retransmissions),
	// apart from the copies the link made itself; absent where the run
	// did not follow the flow's packets (loopback, echo and http rows).
	TCPSpuriousRetransmits *uint64 `json:"tcp_spurious_retransmits,omitempty"`
	// StackDrops counts packets a host's stack dropped itself (a full
	// receive buffer, say), apart from what the link dropped.
	StackDrops uint64 `json:"stack_drops"`
	// RelayLateness is how late the link's relay handed packets over,
	// beyond the delay the link was set to: the emulator's own lateness,
	// zero when it kept up.
	RelayLateness *link.LatenessSummary `json:"relay_lateness_ms,omitempty"`
}

// The kinds of path, as Scenario.Link names them (and -link takes the
// first three).
const (
	LinkEmulated = "emulated" // two gVisor stacks in this process, joined by the impaired link
	LinkKernel   = "kernel"   // Linux's own stacks in two network namespaces, joined by the link
	LinkLoopback = "loopback" // this host's own stack, no link in between
	LinkRemote   = "remote"   // another host's compare serve, over the real network
	LinkHost     = "host"     // a server of one's own, reached at a URL (the lab's target)
)

// What a row's Sent and Delivered count (Result.Unit).
const (
	UnitMessages  = "messages"  // echo probes, stream messages
	UnitDatagrams = "datagrams" // a bulk flow of datagrams
	UnitBytes     = "bytes"     // a bulk flow over a byte stream
	UnitRequests  = "requests"  // http
)

// The ways a bulk or stream flow goes, as Result.Direction (and the
// scenario's, for "bidir") names them.
const (
	DirectionUp   = "up"   // the client sends
	DirectionDown = "down" // the server sends
)

// StatPacketsLost names, in a row's TransportStats, the packets QUIC's
// sender declared lost (RFC 9002's loss detection), as the quic package
// counts them.
const StatPacketsLost = "packets_lost"

// ServerStat is the name, in a row's TransportStats, of the server
// half's counter k: the client's names, prefixed.
func ServerStat(k string) string { return "server_" + k }

// DataLinks are the link settings of the direction a flow's data went,
// dir (a Result's or the Scenario's Direction), and of the direction
// back, its ACKs': down and up for a flow the server sent, else up and
// down. Either is nil where the record has no link settings.
func (sc *Scenario) DataLinks(dir string) (data, back *Link) {
	if dir == DirectionDown {
		return sc.Down, sc.Up
	}
	return sc.Up, sc.Down
}

// RTT is the round trip of the scenario's link, its delays up and down;
// ok is false where the record lacks either direction's settings.
func (sc *Scenario) RTT() (rtt time.Duration, ok bool) {
	if sc.Up == nil || sc.Down == nil {
		return 0, false
	}
	return sc.Up.Delay.D() + sc.Down.Delay.D(), true
}

// DataLink is the link's counters of the direction r's data went: down
// for a flow the server sent, else up. Nil where the path counted
// nothing (loopback, a remote path).
func (r *Result) DataLink() *link.Counters {
	switch {
	case r.Path == nil:
		return nil
	case r.Direction == DirectionDown:
		return &r.Path.Down
	}
	return &r.Path.Up
}

// DeclaredLost is the packets the sending end's transport declared
// lost: QUIC's StatPacketsLost, the server half's for a flow it sent.
// ok is false where the row has no such count (TCP, UDP).
func (r *Result) DeclaredLost() (n uint64, ok bool) {
	k := StatPacketsLost
	if r.Direction == DirectionDown {
		k = ServerStat(k)
	}
	n, ok = r.TransportStats[k]
	return n, ok
}

// LinkOf records the impairment c, its defaults filled in, so a record
// says what the link did whatever the zero values meant when it was made.
func LinkOf(c link.Config) *Link {
	c = c.WithDefaults()
	return &Link{
		Loss: c.Loss, BurstLen: c.BurstLen, Delay: Ms(c.Delay), Jitter: Ms(c.Jitter),
		Reorder: c.Reorder, Duplicate: c.Duplicate, BandwidthBits: c.Bandwidth, Queue: c.Queue, MTU: c.MTU,
	}
}

// Config is the impairment l records, as the link package takes it.
func (l Link) Config() link.Config {
	return link.Config{
		Loss: l.Loss, BurstLen: l.BurstLen, Delay: time.Duration(l.Delay), Jitter: time.Duration(l.Jitter),
		Reorder: l.Reorder, Duplicate: l.Duplicate, Bandwidth: l.BandwidthBits, Queue: l.Queue, MTU: l.MTU,
	}
}
