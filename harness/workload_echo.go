package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"netmatrix/harness/metrics"
	"netmatrix/internal/neterr"
	"netmatrix/internal/wire"
	"netmatrix/results"
)

// echoTally is what the echo client saw.
type echoTally struct {
	rtt                          *metrics.Histogram
	replies, late, dups, corrupt int64
	replySeqs                    []uint64 // in arrival order, duplicates removed
}

// runEcho measures round-trip time: each message carries its sequence
// number and send time, and the echo of it tells the client both. With no
// EchoInterval one message is in flight at a time (ping-pong); with one,
// messages leave on a fixed schedule whatever the replies do.
func runEcho(ctx context.Context, f *flow, cfg *Config) (results.Result, error) {
	var (
		t   *echoTally
		err error
	)
	if cfg.EchoInterval > 0 {
		t, err = echoPaced(ctx, f, cfg)
	} else {
		t, err = echoPingPong(ctx, f, cfg)
	}
	if t == nil {
		return results.Result{}, err
	}
	reordered, extent := metrics.Reordering(t.replySeqs)
	r := results.Result{
		Unit:             "messages",
		Sent:             int64(cfg.Count),
		Delivered:        t.replies,
		Lost:             int64(cfg.Count) - t.replies,
		Late:             t.late,
		Duplicates:       t.dups,
		Corrupt:          t.corrupt,
		Reordered:        reordered,
		ReorderExtentMax: extent,
		LatencyMs:        t.rtt.Summary(),
	}
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

// replyTimeout is how long to wait for one reply. A datagram's reply that
// takes longer than Timeout is lost; a reliable transport's is only
// delayed (retransmissions back off to seconds), so it is given until it
// must have stalled.
func replyTimeout(f *flow, cfg *Config) time.Duration {
	if f.reliable {
		return max(cfg.Timeout, finishTimeout)
	}
	return cfg.Timeout
}

func echoPingPong(ctx context.Context, f *flow, cfg *Config) (*echoTally, error) {
	t := &echoTally{rtt: metrics.NewHistogram()}
	timeout := replyTimeout(f, cfg)
	out := make([]byte, cfg.Size)
	in := replyBuffer(f, cfg.Size)
	stop := context.AfterFunc(ctx, func() { f.conn.SetReadDeadline(time.Now()) })
	defer stop()
	for seq := uint64(0); seq < uint64(cfg.Count); seq++ {
		wire.PutBulkDatagram(out, seq, wire.Now())
		if err := f.conn.WriteMsg(out); err != nil {
			return t, fmt.Errorf("echo: send %d: %w", seq, err)
		}
		f.conn.SetReadDeadline(time.Now().Add(timeout))
		for {
			n, err := f.conn.ReadMsg(in)
			if err != nil {
				if ctx.Err() != nil {
					return t, ctx.Err()
				}
				if neterr.IsTimeout(err) && !f.reliable {
					break // this probe is lost; go on with the next
				}
				return t, fmt.Errorf("echo: reply %d: %w", seq, err)
			}
			h, ok := wire.CheckBulkDatagram(in[:n])
			if !ok || n != cfg.Size {
				t.corrupt++
				if f.reliable {
					return t, fmt.Errorf("echo: reply %d does not match what was sent", seq)
				}
				continue
			}
			if h.Seq < seq {
				t.late++ // the reply to a probe already counted lost
				continue
			}
			if h.Seq != seq {
				t.corrupt++
				continue
			}
			t.rtt.Record(wire.Since(h.Sent))
			t.replies++
			t.replySeqs = append(t.replySeqs, h.Seq)
			break
		}
	}
	return t, nil
}

func echoPaced(ctx context.Context, f *flow, cfg *Config) (*echoTally, error) {
	t := &echoTally{rtt: metrics.NewHistogram()}
	timeout := replyTimeout(f, cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		sendErr  error
		mu       sync.Mutex
		lastSent time.Time
	)
	wg.Go(func() {
		out := make([]byte, cfg.Size)
		start := time.Now()
		for seq := range uint64(cfg.Count) {
			if !sleepUntil(ctx, start.Add(time.Duration(seq)*cfg.EchoInterval)) {
				return
			}
			wire.PutBulkDatagram(out, seq, wire.Now())
			if err := f.conn.WriteMsg(out); err != nil {
				sendErr = fmt.Errorf("echo: send %d: %w", seq, err)
				cancel()
				return
			}
			mu.Lock()
			lastSent = time.Now()
			mu.Unlock()
		}
	})
	stop := context.AfterFunc(ctx, func() { f.conn.SetReadDeadline(time.Now()) })
	defer stop()

	seen := make([]bool, cfg.Count)
	in := replyBuffer(f, cfg.Size)
	var readErr error
	for t.replies < int64(cfg.Count) {
		// Replies are awaited until the timeout has passed since the
		// latest send: while the sender goes on, a quiet spell is loss.
		f.conn.SetReadDeadline(time.Now().Add(timeout))
		n, err := f.conn.ReadMsg(in)
		if err != nil {
			mu.Lock()
			quiet := time.Since(lastSent) >= timeout
			mu.Unlock()
			if neterr.IsTimeout(err) && ctx.Err() == nil && !quiet {
				continue
			}
			if !neterr.IsTimeout(err) || f.reliable {
				readErr = fmt.Errorf("echo: %w", err)
			}
			break
		}
		h, ok := wire.CheckBulkDatagram(in[:n])
		if !ok || n != cfg.Size || h.Seq >= uint64(cfg.Count) {
			t.corrupt++
			continue
		}
		if seen[h.Seq] {
			t.dups++
			continue
		}
		seen[h.Seq] = true
		t.rtt.Record(wire.Since(h.Sent))
		t.replies++
		t.replySeqs = append(t.replySeqs, h.Seq)
	}
	cancel()
	wg.Wait()
	return t, errors.Join(sendErr, ctxErrUnlessDone(readErr, ctx))
}

// ctxErrUnlessDone drops err when it only reports the cancellation that
// ended a finished run.
func ctxErrUnlessDone(err error, ctx context.Context) error {
	if err != nil && ctx.Err() != nil && neterr.IsTimeout(err) {
		return nil
	}
	return err
}
