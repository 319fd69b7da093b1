package linktest

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"netmatrix/harness/link"
)

// Counter is a link.Endpoint that releases what it is given and counts
// it: a far host that takes everything.
type Counter struct{ n atomic.Int64 }

var _ link.Endpoint = (*Counter)(nil)

func (c *Counter) WritePacket(p link.Packet) error {
	p.Release()
	c.n.Add(1)
	return nil
}

// Count is how many packets c has been given.
func (c *Counter) Count() int64 { return c.n.Load() }

// IDPacket returns a packet of size bytes (at least 8) whose first 8 are
// id, big-endian, so an endpoint can tell packets apart.
func IDPacket(id uint64, size int) *link.Buf {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, id)
	return link.NewBuf(b)
}

// Lossy is the impairment of the end-to-end tests: every kind of fate at
// once, so a seed test covers every random draw. The link model's own
// tests and the paths' tests (pathtest) use the same one.
var Lossy = link.Config{
	Loss:      0.05,
	Delay:     time.Millisecond,
	Jitter:    200 * time.Microsecond,
	Reorder:   0.02,
	Duplicate: 0.01,
}
