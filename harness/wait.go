package harness

import (
	"context"
	"time"
)

// deadline is d from now.
func deadline(d time.Duration) time.Time { return time.Now().Add(d) }

// drain waits until have() reaches want, or have() has not grown for
// quiet, or ctx is done: how a receiver of an unreliable flow decides that
// what has not come is lost.
func drain(ctx context.Context, have func() int64, want int64, quiet time.Duration) {
	const tick = 10 * time.Millisecond
	last, since := have(), time.Now()
	t := time.NewTicker(tick)
	defer t.Stop()
	for last < want && time.Since(since) < quiet {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := have(); n != last {
			last, since = n, time.Now()
		}
	}
}

// sleepUntil waits until t or until ctx is done; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
