package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
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
	c, err := startFlow(ctx, p, half.Spec{Workload: catalog.Stream, Transport: shape.Name, Count: cfg.Count})
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	f, err := tr.stream(ctx, c, cfg)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()

	// Cancelling the run cuts a blocked write short; a peer that stops
	// reading does too, after the time a stalled connection gets.
	stop := context.AfterFunc(ctx, func() { f.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	writeTimeout := max(cfg.Timeout, cfg.Stall)
	msg := make([]byte, cfg.Size)
	start := time.Now()
	sent := 0
	var sendErr error
	for ; sent < cfg.Count; sent++ {
		if !sleepUntil(ctx, start.Add(time.Duration(sent)*cfg.Interval)) {
			// Interrupted: what was sent and what came of it still
			// count (the run says it was cut short).
			sendErr = ctx.Err()
			break
		}
		wire.PutHeader(msg, wire.Header{Seq: uint64(sent), Sent: wire.Now()})
		f.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := f.conn.WriteMsg(msg); err != nil {
			sendErr = ctxErrOr(ctx, fmt.Errorf("stream: send %d: %w", sent, err))
			break
		}
	}
	// A reliable transport says when the server half has everything;
	// of datagrams, the server half waits for what may still come.
	var until half.Until
	if f.finish != nil && sendErr == nil {
		fctx, cancel := context.WithTimeout(ctx, cfg.Stall)
		err := f.finish(fctx)
		cancel()
		if err != nil {
			sendErr = fmt.Errorf("stream: waiting for delivery: %w", err)
		}
	} else {
		until = half.Until{Sent: int64(sent), Quiet: cfg.Timeout}
	}

	var stats map[string]uint64
	if f.stats != nil {
		stats = f.stats()
	}
	rep, err := c.half.Report(ctx, until)
	if err != nil {
		return results.Result{}, errors.Join(sendErr, fmt.Errorf("stream: the server half's report: %w", err))
	}
	s := metrics.AnalyzeStream(int64(sent), rep.Arrivals)
	// Only a transport that hands messages over in order holds one back
	// behind another; the others have no head-of-line delay at all.
	var hol *results.Latency
	if shape.Ordered && rep.Heard != nil {
		msgs, err := metrics.HeadOfLine(rep.Heard, messageFraming(cfg), sent)
		if err != nil {
			sendErr = errors.Join(sendErr, fmt.Errorf("stream: head-of-line delay: %w", err))
		} else {
			hol = summary(metrics.HOLHistogram(msgs))
		}
	}
	r := results.Result{
		Unit:             "messages",
		Sent:             s.Sent,
		Delivered:        s.Delivered,
		Lost:             s.Lost,
		Reordered:        s.Reordered,
		ReorderExtentMax: s.MaxExtent,
		Duplicates:       s.Duplicates,
		Corrupt:          rep.Corrupt,
		LatencyMs:        summary(s.Delay),
		JitterMs:         results.Float(ms(s.Jitter)),
		HOLMs:            hol,
		HandshakeMs:      ms(f.handshake),
		TransportStats:   withServerStats(stats, rep.Stats),
	}
	putSpurious(&r, rep.Spurious)
	return r, sendErr
}
