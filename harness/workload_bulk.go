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
// BulkBytes) in direction dir (the client sends, half.Up, or the server
// half does, half.Down), and reports what arrived intact, and for
// datagrams the loss, duplicates and reordering. Goodput is what was
// delivered over the run's length when it was time-limited, however early
// the last byte came (a flow that stalls at the end has delivered less,
// and says so), and over the completion time of a fixed transfer.
func runBulk(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, taps *tapMux, dir string, cfg *Config) (results.Result, error) {
	c, err := startFlow(ctx, p, taps, flowSpec(catalog.Bulk, shape.Name, dir, cfg))
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	if dir == half.Down {
		return bulkDown(ctx, tr, shape, c, cfg)
	}
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
	stats := statsNow(o.stats)
	got := rep.Bulk
	if got == nil {
		got = &half.Bulk{}
	}
	// The server half stamped the last arrival on its clock.
	last := rep.Clock.ToClient(got.Last)
	r := bulkResult(shape, cfg, o.sent, got, o.start, stopped, last)
	r.HandshakeMs = ms(o.handshake)
	r.TransportStats = withServerStats(stats, rep.Stats)
	putSenderLimits(&r, o.limits)
	putSpurious(&r, rep.Spurious)
	return r, err
}

// bulkDown is the bulk transfer the server half sends to the client of c.
func bulkDown(ctx context.Context, tr transport, shape catalog.Transport, c *clientEnd, cfg *Config) (results.Result, error) {
	recv := newReceiving(catalog.Bulk, 0)
	f, err := tr.receive(ctx, c, cfg, recv)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()
	rep, err := reportSent(ctx, c, catalog.Bulk, cfg)
	if !shape.Reliable {
		recv.wait(ctx, half.Until{Sent: rep.Sent, Quiet: cfg.Timeout})
	}
	got := recv.bulk.snapshot()
	stats := f.transportStats()
	// The server half's times are on its clock; its run's length is
	// not, being a difference of two.
	start := rep.Clock.ToClient(rep.Started)
	stopped := start + (rep.Stopped - rep.Started)
	r := bulkResult(shape, cfg, rep.Sent, &got, start, stopped, got.Last)
	r.HandshakeMs = ms(f.handshake)
	r.TransportStats = withServerStats(stats, rep.Stats)
	putSenderLimits(&r, rep.Limits)
	return r, err
}

// bulkResult is the row of a bulk transfer of sent bytes or datagrams
// that arrived as got, sent from start to stopped, its last arrival at
// last, all on the client's clock.
func bulkResult(shape catalog.Transport, cfg *Config, sent int64, got *half.Bulk, start, stopped, last int64) results.Result {
	unit := results.UnitDatagrams
	if shape.ByteStream {
		unit = results.UnitBytes
	}
	r := results.Result{
		Unit:    unit,
		Sent:    sent,
		Bytes:   got.Bytes,
		Corrupt: got.Corrupt,
	}
	if shape.ByteStream {
		r.Delivered = got.Bytes
	} else {
		r.Delivered, r.Duplicates, r.Reordered = got.Unique, got.Dups, got.Reordered
	}
	if shape.Reliable {
		// A reliable transport loses nothing: what is missing was still
		// queued or in flight when the run ended.
		r.InFlight = r.Sent - r.Delivered
	} else {
		r.Lost = r.Sent - r.Delivered
	}
	verified := got.Corrupt == 0 && (cfg.BulkBytes == 0 || !shape.Reliable || got.Bytes == sent)
	r.Verified = &verified
	window := stopped - start // the run's length
	if cfg.BulkBytes > 0 {
		window = last - start // the transfer's completion time
	}
	if window > 0 {
		r.Elapsed = results.Ms(window)
		r.GoodputMbitS = results.Float(float64(got.Bytes) * 8 / time.Duration(window).Seconds() / 1e6)
	}
	return r
}
