package harness

import (
	"context"
	"fmt"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/wire"
	"netmatrix/results"
)

// runStream sends Count messages of Size bytes, one every Interval, each
// stamped with its sequence number and send time, and analyses what the
// sink saw: one-way delay, jitter, loss, reordering, duplicates and
// head-of-line delay.
func runStream(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, cfg *Config) (results.Result, error) {
	col := newStreamCollector(cfg.Count)
	f, err := tr.stream(ctx, p, cfg, col.onMsg)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()

	msg := make([]byte, cfg.Size)
	start := time.Now()
	sent := 0
	var sendErr error
	for ; sent < cfg.Count; sent++ {
		if !sleepUntil(ctx, start.Add(time.Duration(sent)*cfg.Interval)) {
			return results.Result{}, ctx.Err()
		}
		wire.PutHeader(msg, wire.Header{Seq: uint64(sent), Sent: wire.Now()})
		if err := f.conn.WriteMsg(msg); err != nil {
			sendErr = fmt.Errorf("stream: send %d: %w", sent, err)
			break
		}
	}
	if f.finish != nil && sendErr == nil {
		fctx, cancel := context.WithTimeout(ctx, finishTimeout)
		err := f.finish(fctx)
		cancel()
		if err != nil {
			sendErr = fmt.Errorf("stream: waiting for delivery: %w", err)
		}
	} else {
		drain(ctx, func() int64 { return int64(col.count()) }, int64(sent), cfg.Timeout)
	}

	var stats map[string]uint64
	if f.stats != nil {
		stats = f.stats()
	}
	arrivals, corrupt := col.snapshot()
	s := metrics.AnalyzeStream(int64(sent), arrivals, cfg.Interval)
	hol := s.HOL.Summary()
	return results.Result{
		Unit:             "messages",
		Sent:             s.Sent,
		Delivered:        s.Delivered,
		Lost:             s.Lost,
		Reordered:        s.Reordered,
		ReorderExtentMax: s.MaxExtent,
		Duplicates:       s.Duplicates,
		Corrupt:          corrupt,
		LatencyMs:        s.Delay.Summary(),
		JitterMs:         float64(s.Jitter) / float64(time.Millisecond),
		HOLMs:            &hol,
		HandshakeMs:      ms(f.handshake),
		TransportStats:   stats,
	}, sendErr
}
