package link

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultMTU is Ethernet's payload size, the MTU of nearly every path
	// a real application sees.
	DefaultMTU = 1500
	// DefaultQueue is Linux's default txqueuelen: the queue a rate limit
	// holds when Config.Queue is zero. At low rates it is deep enough to
	// show bufferbloat, as real home routers do.
	DefaultQueue = 1000
	// MinMTU is IPv4's minimum datagram every host must accept (RFC 791).
	MinMTU = 576
	// MaxMTU is the largest IPv4 packet.
	MaxMTU = 65535
)

// Config is the impairment of one direction of a link. The zero value is a
// perfect link: no loss, no delay, unlimited rate, MTU 1500.
type Config struct {
	// Loss is the share of packets lost, 0..1.
	Loss float64
	// BurstLen is the mean length of a loss burst in packets
	// (Gilbert-Elliott). Zero or <= 1 means independent (Bernoulli) loss.
	BurstLen float64
	// Delay is the mean one-way delay.
	Delay time.Duration
	// Jitter is the standard deviation of the delay (a normal
	// distribution cut at zero). Jitter does not reorder packets: a packet
	// never leaves before the one sent ahead of it, unless Reorder says so.
	Jitter time.Duration
	// Reorder is the share of packets sent ahead of the queue, 0..1: they
	// skip the delay and overtake the packets still held. With no delay
	// there is nothing to overtake, so Validate refuses Reorder without
	// Delay or Jitter.
	Reorder float64
	// Duplicate is the share of packets delivered twice, 0..1.
	Duplicate float64
	// Bandwidth is the rate limit in bits per second; 0 means unlimited.
	Bandwidth int64
	// Queue is how many packets the rate limit holds (the one being sent
	// included) before it drops new ones at the tail. Zero means
	// DefaultQueue. It has no effect without Bandwidth.
	Queue int
	// MTU is the largest IP packet the link carries; larger ones are
	// dropped. Zero means DefaultMTU.
	MTU int
}

// WithDefaults returns c with its zero values replaced by the defaults.
func (c Config) WithDefaults() Config {
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	return c
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	share := func(name string, v float64) {
		if !(v >= 0 && v <= 1) { // also catches NaN
			errs = append(errs, fmt.Errorf("link: %s %v is not a share in 0..1", name, v))
		}
	}
	share("loss", c.Loss)
	share("reorder", c.Reorder)
	share("duplicate", c.Duplicate)
	if c.Loss >= 1 {
		errs = append(errs, errors.New("link: loss of 100% leaves nothing to measure"))
	}
	if c.BurstLen < 0 || c.BurstLen != c.BurstLen {
		errs = append(errs, fmt.Errorf("link: burst length %v is negative", c.BurstLen))
	}
	if c.BurstLen > 1 && c.Loss > 0 && c.Loss/(1-c.Loss) > c.BurstLen {
		// The good-to-bad transition probability Loss/((1-Loss)*BurstLen)
		// would exceed 1.
		errs = append(errs, fmt.Errorf("link: loss %v cannot have bursts of mean %v packets", c.Loss, c.BurstLen))
	}
	if c.Reorder > 0 && c.Delay <= 0 && c.Jitter <= 0 {
		// As in netem: with nothing held there is nothing to overtake, and
		// a reorder setting that does nothing would mislead.
		errs = append(errs, fmt.Errorf("link: reorder %v needs a delay or jitter: packets sent ahead overtake those the delay holds", c.Reorder))
	}
	if c.Delay < 0 || c.Jitter < 0 {
		errs = append(errs, fmt.Errorf("link: delay %v and jitter %v must not be negative", c.Delay, c.Jitter))
	}
	if c.Bandwidth < 0 {
		errs = append(errs, fmt.Errorf("link: bandwidth %d is negative", c.Bandwidth))
	}
	if c.Queue < 0 {
		errs = append(errs, fmt.Errorf("link: queue %d is negative", c.Queue))
	}
	if c.MTU != 0 && (c.MTU < MinMTU || c.MTU > MaxMTU) {
		errs = append(errs, fmt.Errorf("link: MTU %d is outside %d..%d", c.MTU, MinMTU, MaxMTU))
	}
	return errors.Join(errs...)
}

// Counters is what one direction of a link did to packets. A run's
// record keeps them as they are (package results), under these JSON
// names.
type Counters struct {
	Packets    uint64 `json:"packets"`     // offered to the link
	Forwarded  uint64 `json:"forwarded"`   // delivered to the far side (duplicates included)
	Lost       uint64 `json:"lost"`        // dropped by the loss model
	QueueDrops uint64 `json:"queue_drops"` // dropped at a full rate-limit queue
	Duplicated uint64 `json:"duplicated"`
	Reordered  uint64 `json:"reordered"` // sent ahead of the queue and overtook a packet
	Delayed    uint64 `json:"delayed"`   // held for a nonzero time
	TooBig     uint64 `json:"too_big"`   // dropped for exceeding the MTU
	Bytes      uint64 `json:"bytes"`     // forwarded bytes
}

// Dropped is every packet the link dropped, whatever the reason.
func (c Counters) Dropped() uint64 { return c.Lost + c.QueueDrops + c.TooBig }

// Count adds one packet's fate to c, counting the packet and its copies
// as forwarded unless dropped. The relay counts forwarding itself, when
// the far side takes the packet; tests of the model alone use this.
func (c *Counters) Count(f *Fate) {
	c.Packets++
	switch f.Drop {
	case DropLoss:
		c.Lost++
		return
	case DropQueue:
		c.QueueDrops++
		return
	case DropTooBig:
		c.TooBig++
		return
	}
	c.Duplicated += uint64(f.Copies)
	if f.Reordered {
		c.Reordered++
	}
	if f.Release > f.Arrival {
		c.Delayed++
	}
	n := uint64(1 + f.Copies)
	c.Forwarded += n
	c.Bytes += n * uint64(f.Size)
}
