//go:build linux

package link

import (
	"context"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// timerfdAlarm is an alarm on a timerfd, read through the runtime's
// poller: the goroutine parks, and wakes within microseconds of the time
// set, where a Go timer may be a millisecond late.
type timerfdAlarm struct {
	fd int
	f  *os.File // owns fd; reads park in the poller

	watch sync.Once
	stop  func() bool
}

// newAlarm is a timerfd alarm, or a Go timer's where the kernel will not
// make a timerfd.
func newAlarm() alarm {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerAlarm()
	}
	return &timerfdAlarm{fd: fd, f: os.NewFile(uintptr(fd), "relay-alarm")}
}

func (a *timerfdAlarm) set(d time.Duration) {
	// A zero it_value disarms a timerfd: at once is a nanosecond.
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(max(d, 1)))}
	unix.TimerfdSettime(a.fd, 0, &its, nil)
}

func (a *timerfdAlarm) wait(ctx context.Context) bool {
	a.watch.Do(func() {
		a.stop = context.AfterFunc(ctx, func() { a.f.SetReadDeadline(time.Unix(1, 0)) })
	})
	var expirations [8]byte
	_, err := a.f.Read(expirations[:])
	return err == nil
}

func (a *timerfdAlarm) close() {
	if a.stop != nil {
		a.stop()
	}
	a.f.Close()
}
