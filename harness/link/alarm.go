package link

import (
	"context"
	"time"
)

// An alarm wakes a lane's writer when the head of its queue is due, or at
// once for a new head. The Go runtime's timers wake up to a millisecond
// late here (the poller sleeps in whole milliseconds), and a relay that
// hands packets over that late adds up to a millisecond to every one-way
// delay: on Linux the alarm is a timerfd instead, which the poller wakes
// on to the microsecond.
type alarm interface {
	// set makes the alarm ring after d, at once if d <= 0, in place of
	// any time set before. Any goroutine may call it.
	set(d time.Duration)
	// wait blocks until the alarm rings and reports true, or until ctx
	// ends and reports false. One goroutine waits.
	wait(ctx context.Context) bool
	close()
}

// timerAlarm is an alarm on a Go timer: the fallback where there is no
// timerfd.
type timerAlarm struct {
	t    *time.Timer
	ring chan struct{}
}

func newTimerAlarm() *timerAlarm {
	a := &timerAlarm{ring: make(chan struct{}, 1)}
	a.t = time.AfterFunc(time.Hour, a.fire)
	a.t.Stop()
	return a
}

func (a *timerAlarm) fire() {
	select {
	case a.ring <- struct{}{}:
	default: // a ring is pending already
	}
}

func (a *timerAlarm) set(d time.Duration) {
	if d <= 0 {
		a.t.Stop()
		a.fire()
		return
	}
	a.t.Reset(d)
}

func (a *timerAlarm) wait(ctx context.Context) bool {
	select {
	case <-a.ring:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *timerAlarm) close() { a.t.Stop() }
