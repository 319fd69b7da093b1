package harness

import (
	"context"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// runBulk sends as fast as the transport allows for Duration (or a fixed
// BulkBytes) and reports what arrived intact: goodput over the time from
// the first send to the last arrival, and for datagrams the loss,
// duplicates and reordering.
func runBulk(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, cfg *Config) (results.Result, error) {
	o, err := tr.bulk(ctx, p, cfg)
	if o.received == nil {
		return results.Result{}, err
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
	if s.last > o.start {
		elapsed := time.Duration(s.last - o.start)
		r.Elapsed = results.Duration(elapsed)
		r.GoodputMbps = float64(s.bytes) * 8 / elapsed.Seconds() / 1e6
	}
	return r, err
}
