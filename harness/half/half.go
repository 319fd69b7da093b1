package half

import (
	"context"
	"net"
	"time"

	"netmatrix/harness/metrics"
)

// Spec is one run's server half: the workload and transport, and the
// settings the server needs to play its part.
type Spec struct {
	Workload  string `json:"workload"`
	Transport string `json:"transport"`
	// Count is the messages of a stream: how many arrivals to make
	// room for.
	Count int `json:"count,omitempty"`
	// Size is each stream message, header included, and the body of an
	// http response.
	Size int `json:"size,omitempty"`
	// Nagle leaves Nagle's algorithm on for TCP.
	Nagle bool `json:"nagle,omitempty"`
}

// Until says when a Report may be taken: once Sent distinct messages
// (stream) or datagrams (bulk) have arrived, or none has for Quiet. A
// zero Until takes it at once. It matters for datagram transports only,
// whose receiver cannot otherwise know that nothing more will come;
// reliable ones have said they delivered everything before the report is
// asked for.
type Until struct {
	Sent  int64         `json:"sent,omitempty"`
	Quiet time.Duration `json:"quiet_ns,omitempty"`
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
	// Stats are its end's transport counters (QUIC's, say).
	Stats map[string]uint64 `json:"stats,omitempty"`
	// Spurious counts the TCP segments the sender sent again that had
	// reached this end already (the link's own copies apart), where the
	// path shows its packets; nil elsewhere.
	Spurious *uint64 `json:"spurious,omitempty"`
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
	Report(ctx context.Context, until Until) (Report, error)
	// Stop ends the server half and waits for it.
	Stop()
}

// A Provider is a path whose server halves run elsewhere than on its
// server host's Network: the remote path.
type Provider interface {
	ServerHalf() Server
}
