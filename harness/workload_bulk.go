package harness

import (
	"context"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/netpath"
	"netmatrix/internal/wire"
	"netmatrix/results"
)

// runBulk sends as fast as the transport allows for Duration (or a fixed
// BulkBytes) and reports what arrived intact, and for datagrams the loss,
// duplicates and reordering. Goodput is what was delivered over the run's
// length when it was time-limited, however early the last byte came (a
// flow that stalls at the end has delivered less, and says so), and over
// the completion time of a fixed transfer.
func runBulk(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, cfg *Config) (results.Result, error) {
	o, err := tr.bulk(ctx, p, cfg)
	if o.received == nil {
		return results.Result{}, err
	}
	stopped := wire.Now()
	if !shape.Reliable && err == nil {
		// Datagrams say nothing about what arrived: wait for stragglers
		// until everything is in or the sink has been quiet for a while.
		drain(ctx, func() int64 { return o.received.snapshot().unique }, o.sent, cfg.Timeout)
	}
	// Counted now, before the flow is torn down: at the end of a
	// time-limited run, data still queued behind the sender is not
	// delivered, and closing must not race the count.
	s := o.received.snapshot()
	if o.stop != nil {
		o.stop()
	}
	unit := "datagrams"
	if shape.ByteStream {
		unit = "bytes"
	}
	r := results.Result{
		Unit:        unit,
		Sent:        o.sent,
		Bytes:       s.bytes,
		Corrupt:     s.corrupt,
		HandshakeMs: ms(o.handshake),
	}
	if o.stats != nil {
		r.TransportStats = o.stats()
	}
	if o.limits != nil {
		putSenderLimits(&r, *o.limits)
	}
	putSpurious(&r, o.spurious)
	if shape.ByteStream {
		r.Delivered = s.bytes
	} else {
		r.Delivered, r.Duplicates, r.Reordered = s.unique, s.dups, s.reordered
	}
	if shape.Reliable {
		// A reliable transport loses nothing: what is missing was still
		// queued or in flight when the run ended.
		r.InFlight = r.Sent - r.Delivered
	} else {
		r.Lost = r.Sent - r.Delivered
	}
	verified := s.corrupt == 0 && (cfg.BulkBytes == 0 || !shape.Reliable || s.bytes == o.sent)
	r.Verified = &verified
	window := stopped - o.start // the run's length
	if cfg.BulkBytes > 0 {
		window = s.last - o.start // the transfer's completion time
	}
	if window > 0 {
		r.Elapsed = results.Ms(window)
		r.GoodputMbitS = results.Float(float64(s.bytes) * 8 / time.Duration(window).Seconds() / 1e6)
	}
	return r, err
}
