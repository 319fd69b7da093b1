package busypoll

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Spin calls try until it succeeds or budget has passed, and reports
// whether it succeeded; a budget of zero or less does not try at all.
// Between tries it yields the CPU, first to other goroutines (the peer
// of an in-process exchange may be one) and then to other threads (a
// peer on the same CPU): without the yields a spinning reader would hold
// the CPU its peer needs to answer.
func Spin(budget time.Duration, try func() bool) bool {
	if budget <= 0 {
		return false
	}
	// The clock is read every few tries only: in a VM it can cost 100 ns,
	// as much as a try, and most spins end within the first few.
	var end time.Time
	for i := 1; ; i++ {
		runtime.Gosched()
		_, _, _ = unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		if try() {
			return true
		}
		if i%8 == 0 {
			now := time.Now()
			if end.IsZero() {
				end = now.Add(budget)
			} else if !now.Before(end) {
				return false
			}
		}
	}
}
