package harness

import (
	"sync"

	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/internal/wire"
)

// streamCollector keeps the arrival of every message a sink reports. Sinks
// may report from several goroutines (one per QUIC stream), so it locks.
type streamCollector struct {
	mu       sync.Mutex
	arrivals []metrics.Arrival
	seen     []bool // by sequence number: a first copy arrived
	distinct int64
	corrupt  int64
}

// newStreamCollector expects the messages 0..count-1.
func newStreamCollector(count int) *streamCollector {
	return &streamCollector{arrivals: make([]metrics.Arrival, 0, count), seen: make([]bool, count)}
}

func (c *streamCollector) onMsg(msg []byte, arrived int64) {
	h, err := wire.ParseHeader(msg)
	c.mu.Lock()
	switch {
	case err != nil:
		c.corrupt++
	default:
		c.arrivals = append(c.arrivals, metrics.Arrival{Seq: h.Seq, Sent: h.Sent, Arrived: arrived})
		if h.Seq < uint64(len(c.seen)) && !c.seen[h.Seq] {
			c.seen[h.Seq] = true
			c.distinct++
		}
	}
	c.mu.Unlock()
}

func (c *streamCollector) snapshot() ([]metrics.Arrival, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]metrics.Arrival(nil), c.arrivals...), c.corrupt
}

// count counts the messages that have arrived, whatever they were.
func (c *streamCollector) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(len(c.arrivals)) + c.corrupt
}

// unique counts the messages that have arrived, each once.
func (c *streamCollector) unique() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.distinct
}

// bulkCounter tallies a bulk transfer at the sink: bytes of a byte stream
// checked against the fill pattern at their offset, or numbered datagrams
// each checked on its own. It keeps counts, not samples, so it costs the
// same at any rate.
type bulkCounter struct {
	mu        sync.Mutex
	bytes     int64 // intact payload bytes
	corrupt   int64 // byte-stream reads or datagrams that did not match
	first     int64 // first arrival, wire.Now clock
	last      int64 // last arrival
	seen      []uint64
	unique    int64
	dups      int64
	reordered int64
	nextExp   uint64
}

// onBytes takes the next read of a byte stream.
func (b *bulkCounter) onBytes(chunk []byte, arrived int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrive(arrived)
	if !wire.CheckPattern(b.bytes+b.corrupt, chunk) {
		b.corrupt += int64(len(chunk))
		return
	}
	b.bytes += int64(len(chunk))
}

// onDatagram takes one bulk datagram.
func (b *bulkCounter) onDatagram(msg []byte, arrived int64) {
	h, ok := wire.CheckBulkDatagram(msg)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrive(arrived)
	if !ok {
		b.corrupt++
		return
	}
	w, bit := h.Seq/64, uint64(1)<<(h.Seq%64)
	if w >= 1<<26 {
		b.corrupt++ // a sequence number no sender of ours reaches
		return
	}
	for uint64(len(b.seen)) <= w {
		b.seen = append(b.seen, 0)
	}
	if b.seen[w]&bit != 0 {
		b.dups++
		return
	}
	b.seen[w] |= bit
	b.unique++
	b.bytes += int64(len(msg))
	if h.Seq < b.nextExp {
		b.reordered++
	} else {
		b.nextExp = h.Seq + 1
	}
}

func (b *bulkCounter) arrive(t int64) {
	if b.first == 0 {
		b.first = t
	}
	b.last = t
}

// snapshot is a copy of the counts, as a server half reports them.
func (b *bulkCounter) snapshot() half.Bulk {
	b.mu.Lock()
	defer b.mu.Unlock()
	return half.Bulk{Bytes: b.bytes, Corrupt: b.corrupt, First: b.first, Last: b.last,
		Unique: b.unique, Dups: b.dups, Reordered: b.reordered}
}
