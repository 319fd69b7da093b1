package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/neterr"
	"netmatrix/internal/wire"
	"netmatrix/results"
)

// echoTally is what the echo client saw.
type echoTally struct {
	rtt     *metrics.Histogram
	sent    int64 // probes that went out
	replies int64 // probes answered in time, once each
	// late counts replies that came after their probe was given up (a
	// datagram transport's reply slower than Timeout): the probe is lost.
	late int64
	// dups counts replies to a probe already answered (or given up):
	// the path, not the echo server, sent one twice.
	dups, corrupt int64
	replySeqs     []uint64 // in arrival order, duplicates removed
	answered      []bool   // by sequence number: a reply came, in time or late
	sentAt        []int64  // by sequence number: when the probe went out (wire.Now)
}

func newEchoTally(count int) *echoTally {
	return &echoTally{rtt: metrics.NewHistogram(), answered: make([]bool, count), sentAt: make([]int64, 0, count)}
}

// runEcho measures round-trip time: each message carries its sequence
// number and send time, and the echo of it tells the client both. With no
// EchoInterval one message is in flight at a time (ping-pong); with one,
// messages leave on a fixed schedule whatever the replies do. Both modes
// keep one rule: a datagram transport's reply that takes longer than
// Timeout is late and its probe lost; a reliable transport's reply is
// waited for until the connection must have stalled.
func runEcho(ctx context.Context, f *flow, cfg *Config) (results.Result, error) {
	var (
		t   *echoTally
		err error
	)
	// Cancelling the run cuts short whatever waits on the connection,
	// reading or writing.
	stop := context.AfterFunc(ctx, func() {
		past := time.Unix(1, 0)
		f.conn.SetReadDeadline(past)
		f.conn.SetWriteDeadline(past)
	})
	defer stop()
	if cfg.EchoInterval > 0 {
		t, err = echoPaced(ctx, f, cfg)
	} else {
		t, err = echoPingPong(ctx, f, cfg)
	}
	reordered, extent := metrics.Reordering(t.replySeqs)
	r := results.Result{
		Unit:             results.UnitMessages,
		Sent:             t.sent,
		Delivered:        t.replies,
		Lost:             t.sent - t.replies,
		Late:             t.late,
		Duplicates:       t.dups,
		Corrupt:          t.corrupt,
		Reordered:        reordered,
		ReorderExtentMax: extent,
		LatencyMs:        summary(t.rtt),
	}
	if ctx.Err() != nil {
		// Interrupted: a probe still within its reply's time has no
		// outcome yet.
		r.InFlight = t.unsettled(wire.Now(), replyTimeout(f, cfg))
		r.Lost -= r.InFlight
	}
	return r, err
}

// runEchoFlow runs the echo workload against an echo server half
// started on p.
func runEchoFlow(ctx context.Context, tr transport, shape catalog.Transport, p netpath.Path, cfg *Config) (results.Result, error) {
	c, err := startFlow(ctx, p, nil, flowSpec(catalog.Echo, shape.Name, "", cfg))
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	f, err := tr.echo(ctx, c, cfg)
	if err != nil {
		return results.Result{}, err
	}
	defer f.stop()
	f.reliable = shape.Reliable
	r, err := runEcho(ctx, f, cfg)
	r.HandshakeMs = ms(f.handshake)
	stats := f.transportStats()
	rep, rerr := c.half.Report(ctx, half.Until{})
	if rerr != nil {
		err = errors.Join(err, fmt.Errorf("echo: the server half's report: %w", rerr))
	}
	r.TransportStats = withServerStats(stats, rep.Stats)
	return r, err
}

// replyBuffer is where replies are read: exactly one message on a byte
// stream, room for any datagram otherwise, so an oversized reply shows.
func replyBuffer(f *flow, size int) []byte {
	if f.reliable {
		return make([]byte, size)
	}
	return make([]byte, 1<<16)
}

// replyTimeout is how long to wait for one reply, and for one write to
// be taken. A datagram's reply that takes longer than Timeout is lost; a
// reliable transport's is only delayed (retransmissions back off to
// seconds), so it is given until it must have stalled.
func replyTimeout(f *flow, cfg *Config) time.Duration {
	if f.reliable {
		return max(cfg.Timeout, cfg.Stall)
	}
	return cfg.Timeout
}

// setDeadline sets a read or write deadline with set, and returns ctx's
// error: once ctx has ended, the deadline may have replaced the past one
// its end set (runEcho), so the I/O it bounds must not start.
func setDeadline(ctx context.Context, set func(time.Time) error, t time.Time) error {
	set(t)
	return ctx.Err()
}

// send writes probe seq, stamped now, within timeout (a peer that stops
// reading cannot hold the run for ever), and returns the stamp. Where ctx,
// whose end cuts the flow's reads and writes short (runEcho), has ended,
// it writes nothing and returns ctx's error as it is.
func (t *echoTally) send(ctx context.Context, f *flow, out []byte, seq uint64, timeout time.Duration) (int64, error) {
	// The deadline is set before the stamp, so its cost is not in the
	// round trip.
	if err := setDeadline(ctx, f.conn.SetWriteDeadline, time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	sent := wire.Now()
	wire.PutBulkDatagram(out, seq, sent)
	if err := f.conn.WriteMsg(out); err != nil {
		return sent, fmt.Errorf("echo: send %d: %w", seq, err)
	}
	t.sent++
	t.sentAt = append(t.sentAt, sent)
	return sent, nil
}

// unsettled counts the probes sent less than window before now (wire.Now)
// that no reply has answered: when a run is interrupted, theirs may still
// have been on the way, so they are in flight, not lost.
func (t *echoTally) unsettled(now int64, window time.Duration) int64 {
	var n int64
	for seq, at := range t.sentAt {
		if !t.answered[seq] && time.Duration(now-at) < window {
			n++
		}
	}
	return n
}

// reply is what one echo read turned out to be.
type reply int

const (
	replyAnswer  reply = iota // the first reply to a probe, in time
	replyLate                 // the first reply to a probe already given up
	replyDup                  // another copy of a reply
	replyCorrupt              // not a reply to any probe of this run
)

// take sorts one reply of n bytes in in, read at at (wire.Now), and
// counts it. A reply is an answer when it is the first to its probe and
// came within limit (zero: any time), and the probe has not been given up
// (givenUp).
func (t *echoTally) take(in []byte, n, size int, at int64, limit time.Duration, givenUp func(seq uint64) bool) (reply, uint64) {
	h, ok := wire.CheckBulkDatagram(in[:n])
	if !ok || n != size || h.Seq >= uint64(len(t.answered)) || h.Seq >= uint64(t.sent) {
		t.corrupt++
		return replyCorrupt, 0
	}
	if t.answered[h.Seq] {
		t.dups++
		return replyDup, h.Seq
	}
	t.answered[h.Seq] = true
	rtt := time.Duration(at - h.Sent)
	if givenUp(h.Seq) || (limit > 0 && rtt > limit) {
		t.late++
		return replyLate, h.Seq
	}
	t.rtt.Record(rtt)
	t.replies++
	t.replySeqs = append(t.replySeqs, h.Seq)
	return replyAnswer, h.Seq
}

func echoPingPong(ctx context.Context, f *flow, cfg *Config) (*echoTally, error) {
	t := newEchoTally(cfg.Count)
	timeout := replyTimeout(f, cfg)
	out := make([]byte, cfg.Size)
	in := replyBuffer(f, cfg.Size)
	for seq := uint64(0); seq < uint64(cfg.Count); seq++ {
		if _, err := t.send(ctx, f, out, seq, timeout); err != nil {
			return t, ctxErrOr(ctx, err)
		}
		if err := setDeadline(ctx, f.conn.SetReadDeadline, time.Now().Add(timeout)); err != nil {
			return t, err
		}
		for {
			n, err := f.conn.ReadMsg(in)
			at := wire.Now()
			if err != nil {
				if ctx.Err() != nil {
					return t, ctx.Err()
				}
				if neterr.IsTimeout(err) && !f.reliable {
					break // this probe is lost; go on with the next
				}
				return t, fmt.Errorf("echo: reply %d: %w", seq, err)
			}
			kind, got := t.take(in, n, cfg.Size, at, 0, func(s uint64) bool { return s < seq })
			if kind == replyCorrupt && f.reliable {
				return t, fmt.Errorf("echo: reply %d does not match what was sent", seq)
			}
			if kind == replyAnswer && got == seq {
				break
			}
		}
	}
	return t, nil
}

func echoPaced(ctx context.Context, f *flow, cfg *Config) (*echoTally, error) {
	t := newEchoTally(cfg.Count)
	timeout := replyTimeout(f, cfg)
	// One rule with ping-pong: a datagram's reply slower than Timeout is
	// late, whatever came after it.
	var limit time.Duration
	if !f.reliable {
		limit = cfg.Timeout
	}
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		sendErr  error
		mu       sync.Mutex // guards t.sent, lastSent and sending against the reader
		lastSent int64      // the latest probe's stamp, wire.Now
		sending  = true
	)
	wg.Go(func() {
		defer func() {
			mu.Lock()
			sending = false
			mu.Unlock()
		}()
		out := make([]byte, cfg.Size)
		start := time.Now()
		for seq := range uint64(cfg.Count) {
			if !sleepUntil(sendCtx, start.Add(time.Duration(seq)*cfg.EchoInterval)) {
				return
			}
			// The write is under mu: a reply to this probe is not
			// taken before it counts as sent (take).
			mu.Lock()
			at, err := t.send(ctx, f, out, seq, timeout)
			lastSent = at
			mu.Unlock()
			if err != nil {
				// Where the run has ended, before the write or
				// during it (its timeout is then the cancellation's
				// doing), it goes as an interrupted wait does, as in
				// ping-pong (ctxErrOr).
				if ctx.Err() == nil {
					sendErr = err
				}
				cancel()
				return
			}
		}
	})

	in := replyBuffer(f, cfg.Size)
	var readErr error
	for {
		mu.Lock()
		done := !sending && t.replies+t.late >= t.sent
		mu.Unlock()
		if done || sendCtx.Err() != nil {
			break
		}
		// Replies are awaited until the timeout has passed since the
		// latest send: while the sender goes on, a quiet spell is loss.
		if setDeadline(ctx, f.conn.SetReadDeadline, time.Now().Add(timeout)) != nil {
			break
		}
		n, err := f.conn.ReadMsg(in)
		at := wire.Now()
		if err != nil {
			mu.Lock()
			quiet := !sending && wire.Since(lastSent) >= timeout
			mu.Unlock()
			if neterr.IsTimeout(err) && sendCtx.Err() == nil && !quiet {
				continue
			}
			if ctx.Err() != nil {
				// Interrupted: the run's end may have closed the
				// connection under the read (the path stops with it);
				// that is the interruption, not a failure of the echo.
				break
			}
			if !neterr.IsTimeout(err) || f.reliable {
				readErr = fmt.Errorf("echo: %w", err)
			}
			break
		}
		mu.Lock()
		t.take(in, n, cfg.Size, at, limit, func(uint64) bool { return false })
		mu.Unlock()
	}
	cancel()
	wg.Wait()
	return t, errors.Join(sendErr, readErr)
}

// ctxErrOr is ctx's error where ctx ended (the deadline that cut err
// short was the cancellation's), else err.
func ctxErrOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
