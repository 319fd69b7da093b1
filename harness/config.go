package harness

import (
	"fmt"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/internal/wire"
)

// Config is what to run and how. A zero field takes the default named in
// its comment; Defaults fills them in.
type Config struct {
	// Transports to compare; nil means every row of the catalog.
	Transports []string
	// Workloads to run; nil means every workload of the catalog.
	Workloads []string
	// Count is the number of messages of each echo and stream run.
	// Zero means 150.
	Count int
	// Interval paces the stream workload. Zero means 20 ms (50 messages a
	// second, a voice codec's frame rate).
	Interval time.Duration
	// EchoInterval paces the echo workload; zero means one message in
	// flight at a time, each sent when the previous reply arrived.
	EchoInterval time.Duration
	// Size is each echo and stream message in bytes, header included.
	// Zero means 160 (a 20 ms G.711 voice frame).
	Size int
	// Duration is how long each bulk run sends. Zero means 1 s. The run
	// ends then: what a reliable sender still had queued is not waited
	// for (iperf3 counts the same way), unless BulkBytes asks for a
	// transfer of a fixed size.
	Duration time.Duration
	// BulkBytes, when set, makes bulk a transfer of this many bytes that
	// runs until all of it is delivered, so its completion time shows.
	// Zero means a time-limited run of Duration.
	BulkBytes int64
	// Timeout is how long an echo reply may take before its probe counts
	// as lost. Zero means 1 s.
	Timeout time.Duration
	// Stall is how long a reliable transport may go without progress (a
	// reply, a write taken, the rest of a stream delivered) before the
	// run reports it stalled rather than wait on. Zero means 30 s: long
	// enough for several backed-off retransmission timeouts.
	Stall time.Duration
	// Nagle leaves Nagle's algorithm on for TCP, to show what it does to
	// small messages. By default TCP_NODELAY is set.
	Nagle bool
	// BulkRate is the UDP bulk target in payload bits per second. Zero
	// means the scenario's own (Scenario.BulkRate); Unlimited means as
	// fast as the sender's socket takes datagrams.
	BulkRate int64
	// DatagramSize is the UDP bulk datagram payload. Zero means 1400.
	DatagramSize int
	// sendCap is the most a server half sends in a time-limited bulk
	// flow (half.Spec.Cap); zero is no bound.
	sendCap int64
	// Direction is which way bulk and stream flows go: half.Up (the
	// client sends), half.Down (the server sends) or Bidir (both at
	// once, a row each). Empty means half.Up.
	Direction string
}

// Bidir as Config.Direction runs each bulk and stream flow both ways at
// once: two rows, "up" and "down", measured side by side.
const Bidir = "bidir"

// sendsDown says a run of Config.Direction d has a flow the server
// half sends.
func sendsDown(d string) bool { return d == half.Down || d == Bidir }

// directions are the flows a bulk or stream run of Config.Direction d
// has, as half.Spec names them.
func directions(d string) []string {
	switch d {
	case half.Down:
		return []string{half.Down}
	case Bidir:
		return []string{half.Up, half.Down}
	}
	return []string{half.Up}
}

// Unlimited as Config.BulkRate sends UDP as fast as the socket takes it.
const Unlimited = -1

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if c.Transports == nil {
		c.Transports = catalog.TransportNames()
	}
	if c.Workloads == nil {
		c.Workloads = catalog.WorkloadNames()
	}
	if c.Count == 0 {
		c.Count = 150
	}
	if c.Interval == 0 {
		c.Interval = 20 * time.Millisecond
	}
	if c.Size == 0 {
		c.Size = 160
	}
	if c.Duration == 0 {
		c.Duration = time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.Stall == 0 {
		c.Stall = 30 * time.Second
	}
	if c.DatagramSize == 0 {
		c.DatagramSize = 1400
	}
	return c
}

// Validate reports settings no run can use.
func (c Config) Validate() error {
	switch {
	case c.Count < 1:
		return fmt.Errorf("count must be at least 1, not %d", c.Count)
	case c.Size < wire.HeaderLen || c.Size > 65000:
		return fmt.Errorf("size must be %d to 65000 bytes (a message carries a %d-byte header), not %d", wire.HeaderLen, wire.HeaderLen, c.Size)
	case c.Interval < 0 || c.EchoInterval < 0:
		return fmt.Errorf("intervals cannot be negative")
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive, not %v", c.Duration)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be positive, not %v", c.Timeout)
	case c.Stall <= 0:
		return fmt.Errorf("stall bound must be positive, not %v", c.Stall)
	case c.DatagramSize < wire.HeaderLen || c.DatagramSize > 65507:
		return fmt.Errorf("datagram size must be %d to 65507 bytes, not %d", wire.HeaderLen, c.DatagramSize)
	case c.BulkRate < 0 && c.BulkRate != Unlimited:
		return fmt.Errorf("bulk rate cannot be negative")
	case c.BulkBytes < 0:
		return fmt.Errorf("bulk bytes cannot be negative")
	case c.Direction != "" && c.Direction != half.Up && c.Direction != half.Down && c.Direction != Bidir:
		return fmt.Errorf("direction %q: want up, down or bidir", c.Direction)
	}
	return nil
}
