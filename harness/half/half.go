package half

import (
	"context"
	"net"
	"time"

	"netmatrix/harness/metrics"
	"netmatrix/internal/tcplimit"
	"netmatrix/results"
)

// Directions a bulk or stream flow runs in, as Spec.Direction and the
// record name them.
const (
	Up   = results.DirectionUp   // the client sends, the server half receives (the default)
	Down = results.DirectionDown // the server half sends, the client receives
)

// Spec is one run's server half: the workload and transport, and the
// settings the server needs to play its part.
type Spec struct {
	Workload  string `json:"workload"`
	Transport string `json:"transport"`
	// Direction is Up or Down for bulk and stream; empty means Up.
	Direction string `json:"direction,omitempty"`
	// Count is the messages of a stream: how many to send, or to make
	// room for.
	Count int `json:"count,omitempty"`
	// Size is each stream message, header included, and the body of an
	// http response.
	Size int `json:"size,omitempty"`
	// Interval paces a stream the server half sends.
	Interval time.Duration `json:"interval_ns,omitempty"`
	// Duration is how long a bulk flow the server half sends lasts,
	// unless Bytes fixes its size instead.
	Duration time.Duration `json:"duration_ns,omitempty"`
	Bytes    int64         `json:"bytes,omitempty"`
	// Rate is the payload rate of UDP bulk the server half sends, bits
	// per second; zero is as fast as the socket takes datagrams.
	Rate         int64 `json:"rate_bps,omitempty"`
	DatagramSize int   `json:"datagram_size,omitempty"`
	// Cap, if set, is the most a server half sends in a bulk flow of
	// Duration, in bytes: the bound a server for others puts on a
	// flow (compare serve), not a client's ask. Zero: none.
	Cap int64 `json:"cap,omitempty"`
	// Stall bounds a reliable sender's wait for its peer to take data.
	Stall time.Duration `json:"stall_ns,omitempty"`
	// Nagle leaves Nagle's algorithm on for TCP.
	Nagle bool `json:"nagle,omitempty"`
}

// Until says when a Report may be taken: once Sent distinct messages
// (stream) or datagrams (bulk) have arrived, or none has for Quiet. A
// zero Until takes it at once. It matters for datagram transports only,
// whose receiver cannot otherwise know that nothing more will come;
// reliable ones have said they delivered everything before the report is
// asked for.
//
// Cut says the run was cut short: a half that sends stops and reports
// what it sent until then, and a half that receives reports at once. A
// Report asked with a context that has ended is a cut.
type Until struct {
	Sent  int64         `json:"sent,omitempty"`
	Quiet time.Duration `json:"quiet_ns,omitempty"`
	Cut   bool          `json:"cut,omitempty"`
}

// Report is what a server half observed from its start until it was
// asked. A field it has nothing for is empty.
type Report struct {
	// Arrivals are the messages of a stream it received, on its own
	// clock, in the order they came; Corrupt counts those that did not
	// parse.
	Arrivals []metrics.Arrival `json:"arrivals,omitempty"`
	Corrupt  int64             `json:"corrupt,omitempty"`
	// Bulk is what a bulk flow it received delivered.
	Bulk *Bulk `json:"bulk,omitempty"`
	// Heard are the byte ranges of an ordered stream its transport
	// received, and when, before the application read them: what
	// head-of-line delay is measured from. Empty where it cannot see
	// them.
	Heard []metrics.ByteArrival `json:"heard,omitempty"`
	// Sent is what a flow it sent (Down) carried: messages, bytes of a
	// byte stream or datagrams. Started and Stopped are when its sending
	// began and ended, on its clock; SendError is why it ended early.
	Sent      int64  `json:"sent,omitempty"`
	Started   int64  `json:"started,omitempty"`
	Stopped   int64  `json:"stopped,omitempty"`
	SendError string `json:"send_error,omitempty"`
	// Stats are its end's transport counters (QUIC's, TCP_INFO of a
	// socket it sent on).
	Stats map[string]uint64 `json:"stats,omitempty"`
	// Limits is what held the sender of a TCP bulk flow it sent back
	// (package tcplimit), where its host could follow it.
	Limits *tcplimit.Times `json:"limits,omitempty"`
	// Spurious counts the TCP segments the sender sent again that had
	// reached this end already (the link's own copies apart), where the
	// path shows its packets; nil elsewhere.
	Spurious *uint64 `json:"spurious,omitempty"`
	// Clock relates the server's clock to this host's. The remote path
	// sets it; nil means both ends read one clock.
	Clock *Clock `json:"clock,omitempty"`
}

// Bulk is what a bulk receiver counted: bytes of a byte stream checked
// against the fill pattern at their offset, or numbered datagrams each
// checked on its own.
type Bulk struct {
	Bytes     int64 `json:"bytes"`   // intact payload bytes
	Corrupt   int64 `json:"corrupt"` // byte-stream reads or datagrams that did not match
	First     int64 `json:"first"`   // first arrival, the receiver's clock
	Last      int64 `json:"last"`    // last arrival
	Unique    int64 `json:"unique"`  // datagrams, each once
	Dups      int64 `json:"dups"`
	Reordered int64 `json:"reordered"`
}

// Clock is the server's clock against this host's, as NTP-style
// exchanges over the control channel estimated it (RFC 5905, section 8):
// server time = this host's time + Offset, to within ±Bound.
type Clock struct {
	Offset time.Duration `json:"offset_ns"`
	Bound  time.Duration `json:"bound_ns"`
}

// ToClient is t, a time on the server's clock, on this host's; c may be
// nil (one clock).
func (c *Clock) ToClient(t int64) int64 {
	if c == nil {
		return t
	}
	return t - int64(c.Offset)
}

// A Server starts server halves.
type Server interface {
	// Start starts the server half of one run and returns once the
	// client can reach it.
	Start(ctx context.Context, s Spec) (Flow, error)
}

// A Flow is one running server half.
type Flow interface {
	// Addr is the address the client dials (host:port).
	Addr() string
	// Fingerprint pins the certificate of a QUIC server half, as
	// quic.PinnedClientTLS takes it; empty means this process's own
	// identity (quic.DefaultIdentity).
	Fingerprint() string
	// Bind readies a socket the client opened toward Addr, before the
	// flow's first byte: nothing on a local path; on a remote one it
	// binds the socket to the session (its token), and for datagrams
	// proves the client receives at its address. A datagram socket
	// comes as a net.Conn connected to Addr.
	Bind(ctx context.Context, c net.Conn) error
	// Report waits as until says, then reports what the half observed.
	// A half that sends (Down) reports once it is done sending.
	Report(ctx context.Context, until Until) (Report, error)
	// Stop ends the server half and waits for it.
	Stop()
}

// A Provider is a path whose server halves run elsewhere than on its
// server host's Network: the remote path.
type Provider interface {
	ServerHalf() Server
}
