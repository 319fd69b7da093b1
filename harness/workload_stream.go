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
// stamped with its sequence number and send time, in direction dir (the
// client sends, half.Up, or the server half does, half.Down), and
// analyses what the receiving end saw: one-way delay, jitter, loss,
// reordering, duplicates and head-of-line delay.
func runStream(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, taps *tapMux, dir string, cfg *Config) (results.Result, error) {
	c, err := startFlow(ctx, p, taps, flowSpec(catalog.Stream, shape.Name, dir, cfg))
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	if dir == half.Down {
		return streamDown(ctx, tr, shape, c, cfg)
	}
	f, err := tr.stream(ctx, c, cfg)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()

	sent, sendErr := sendStream(ctx, f.conn, cfg)
	// A reliable transport says when the server half has everything;
	// of datagrams, the server half waits for what may still come.
	var until half.Until
	if f.finish != nil && sendErr == nil {
		sendErr = finishStream(ctx, f.finish, cfg)
	} else {
		until = half.Until{Sent: sent, Quiet: cfg.Timeout}
	}

	stats := f.transportStats()
	rep, err := c.half.Report(ctx, until)
	if err != nil {
		return results.Result{}, errors.Join(sendErr, fmt.Errorf("stream: the server half's report: %w", err))
	}
	// The server half stamped arrivals on its clock: on this host's,
	// they come Offset earlier.
	arrivals := rep.Arrivals
	if rep.Clock != nil {
		for i := range arrivals {
			arrivals[i].Arrived = rep.Clock.ToClient(arrivals[i].Arrived)
		}
	}
	r, err := streamResult(shape, cfg, sent, received{arrivals, rep.Corrupt, rep.Heard, rep.Clock, ctx.Err() != nil})
	r.HandshakeMs = ms(f.handshake)
	r.TransportStats = withServerStats(stats, rep.Stats)
	putSpurious(&r, rep.Spurious)
	return r, errors.Join(sendErr, err)
}

// streamDown is the stream the server half sends to the client of c.
func streamDown(ctx context.Context, tr transport, shape catalog.Transport, c *clientEnd, cfg *Config) (results.Result, error) {
	recv := newReceiving(catalog.Stream, cfg.Count)
	f, err := tr.receive(ctx, c, cfg, recv)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()
	rep, sendErr := reportSent(ctx, c, catalog.Stream, cfg)
	if !shape.Reliable {
		recv.wait(ctx, half.Until{Sent: rep.Sent, Quiet: cfg.Timeout})
	}
	stats := f.transportStats()
	var got half.Report
	recv.report(&got)
	// The messages carry the server half's send times: on this host's
	// clock, they were sent Offset earlier.
	if rep.Clock != nil {
		for i := range got.Arrivals {
			got.Arrivals[i].Sent = rep.Clock.ToClient(got.Arrivals[i].Sent)
		}
	}
	r, err := streamResult(shape, cfg, rep.Sent, received{got.Arrivals, got.Corrupt, got.Heard, rep.Clock, ctx.Err() != nil})
	r.HandshakeMs = ms(f.handshake)
	r.TransportStats = withServerStats(stats, rep.Stats)
	return r, errors.Join(sendErr, err)
}

// sendStream sends Count messages on conn, one every Interval, each
// stamped with its sequence number and send time, and returns how many
// went out: the client's part of a stream, or the server half's. An
// interruption or a failed write cuts it short; what was sent still
// counts.
func sendStream(ctx context.Context, conn msgConn, cfg *Config) (int64, error) {
	// Cancelling the run cuts a blocked write short; a peer that stops
	// reading does too, after the time a stalled connection gets.
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	writeTimeout := max(cfg.Timeout, cfg.Stall)
	msg := make([]byte, cfg.Size)
	start := time.Now()
	sent := 0
	for ; sent < cfg.Count; sent++ {
		next := start.Add(time.Duration(sent) * cfg.Interval)
		// The write's deadline, writeTimeout from when it is due, is set
		// before the wait, so its cost is in neither the pacing nor the
		// delay the stamp starts.
		due := next
		if now := time.Now(); now.After(due) {
			due = now
		}
		conn.SetWriteDeadline(due.Add(writeTimeout))
		// ctx is asked after the deadline is set, as that may have
		// replaced the one its end set.
		if !sleepUntil(ctx, next) || ctx.Err() != nil {
			// Interrupted: what was sent and what came of it still
			// count (the run says it was cut short).
			return int64(sent), ctx.Err()
		}
		wire.PutHeader(msg, wire.Header{Seq: uint64(sent), Sent: wire.Now()})
		if err := conn.WriteMsg(msg); err != nil {
			return int64(sent), ctxErrOr(ctx, fmt.Errorf("stream: send %d: %w", sent, err))
		}
	}
	return int64(sent), nil
}

// finishStream waits until the receiver has every message sent, as a
// reliable transport's finish tells, for as long as a stalled
// connection gets.
func finishStream(ctx context.Context, finish func(context.Context) error, cfg *Config) error {
	fctx, cancel := context.WithTimeout(ctx, cfg.Stall)
	defer cancel()
	if err := finish(fctx); err != nil {
		return fmt.Errorf("stream: waiting for delivery: %w", err)
	}
	return nil
}

// received is what the receiving end of a stream saw, its times on the
// client's clock.
type received struct {
	arrivals []metrics.Arrival
	corrupt  int64
	heard    []metrics.ByteArrival
	clock    *half.Clock // nil: sender and receiver read one clock
	// cut says the run was interrupted: the receiver stopped listening
	// with messages perhaps still on their way.
	cut bool
}

// streamResult analyses a stream of sent messages that arrived as got.
func streamResult(shape catalog.Transport, cfg *Config, sent int64, got received) (results.Result, error) {
	s := metrics.AnalyzeStream(sent, got.arrivals)
	// Only a transport that hands messages over in order holds one back
	// behind another; the others have no head-of-line delay at all.
	var (
		hol *results.Latency
		err error
	)
	if shape.Ordered && got.heard != nil {
		msgs, herr := metrics.HeadOfLine(got.heard, messageFraming(cfg), int(sent))
		if herr != nil {
			err = fmt.Errorf("stream: head-of-line delay: %w", herr)
		} else {
			hol = summary(metrics.HOLHistogram(msgs))
		}
	}
	r := results.Result{
		Unit:             results.UnitMessages,
		Sent:             s.Sent,
		Delivered:        s.Delivered,
		Lost:             s.Lost,
		Reordered:        s.Reordered,
		ReorderExtentMax: s.MaxExtent,
		Duplicates:       s.Duplicates,
		Corrupt:          got.corrupt,
		LatencyMs:        summary(s.Delay),
		JitterMs:         results.Float(ms(s.Jitter)),
		HOLMs:            hol,
	}
	if got.cut {
		r.InFlight = inFlightAtCut(shape, cfg, sent, s.Lost, got.arrivals)
		r.Lost -= r.InFlight
	}
	if got.clock != nil {
		// One-way delay across two clocks: as good as their offset.
		r.ClockOffsetMs = results.Float(ms(got.clock.Offset))
		r.ClockBoundMs = results.Float(ms(got.clock.Bound))
	}
	return r, err
}

// inFlightAtCut counts the messages of an interrupted stream that had no
// outcome when the receiver stopped. A reliable transport loses nothing,
// so every message missing was still on its way. Of datagrams, those sent
// in the last Timeout, which the receiver would have waited for (a
// stream that ends waits that long for stragglers), are counted on
// their way: at the pace, the last Timeout/Interval messages, since
// sending stopped with the run. missing is every message that did not
// arrive (metrics.Stream.Lost).
func inFlightAtCut(shape catalog.Transport, cfg *Config, sent, missing int64, arrivals []metrics.Arrival) int64 {
	if shape.Reliable || cfg.Interval <= 0 {
		// Unpaced, every message went out within the last Timeout.
		return missing
	}
	last := int64(cfg.Timeout/cfg.Interval) + 1
	return metrics.MissingAmongLast(sent, last, arrivals)
}
