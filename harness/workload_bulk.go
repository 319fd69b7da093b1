package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
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
	c, err := startFlow(ctx, p, half.Spec{Workload: catalog.Bulk, Transport: shape.Name})
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	o, err := tr.bulk(ctx, c, cfg)
	if o.stop == nil {
		return results.Result{}, err
	}
	stopped := wire.Now()
	// Counted now, before the flow is torn down: at the end of a
	// time-limited run, data still queued behind the sender is not
	// delivered, and closing must not race the count.
	var until half.Until
	if !shape.Reliable && err == nil {
		until = half.Until{Sent: o.sent, Quiet: cfg.Timeout}
	}
	rep, rerr := c.half.Report(ctx, until)
	o.stop()
	if rerr != nil {
		return results.Result{}, errors.Join(err, fmt.Errorf("bulk: the server half's report: %w", rerr))
	}
	s := rep.Bulk
	if s == nil {
		s = &half.Bulk{}
	}
	unit := "datagrams"
	if shape.ByteStream {
		unit = "bytes"
	}
	r := results.Result{
		Unit:        unit,
		Sent:        o.sent,
		Bytes:       s.Bytes,
		Corrupt:     s.Corrupt,
		HandshakeMs: ms(o.handshake),
	}
	var stats map[string]uint64
	if o.stats != nil {
		stats = o.stats()
	}
	r.TransportStats = withServerStats(stats, rep.Stats)
	if o.limits != nil {
		putSenderLimits(&r, *o.limits)
	}
	putSpurious(&r, rep.Spurious)
	if shape.ByteStream {
		r.Delivered = s.Bytes
	} else {
		r.Delivered, r.Duplicates, r.Reordered = s.Unique, s.Dups, s.Reordered
	}
	if shape.Reliable {
		// A reliable transport loses nothing: what is missing was still
		// queued or in flight when the run ended.
		r.InFlight = r.Sent - r.Delivered
	} else {
		r.Lost = r.Sent - r.Delivered
	}
	verified := s.Corrupt == 0 && (cfg.BulkBytes == 0 || !shape.Reliable || s.Bytes == o.sent)
	r.Verified = &verified
	window := stopped - o.start // the run's length
	if cfg.BulkBytes > 0 {
		window = s.Last - o.start // the transfer's completion time
	}
	if window > 0 {
		r.Elapsed = results.Ms(window)
		r.GoodputMbitS = results.Float(float64(s.Bytes) * 8 / time.Duration(window).Seconds() / 1e6)
	}
	return r, err
}
