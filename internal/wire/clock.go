package wire

import "time"

// The clock is wall time read once, advanced by the monotonic clock: within
// one process it never steps (NTP cannot make a delay negative), and two
// processes on one host still agree to within the wall clock's error, so a
// sink in another process can still compute one-way delay.
var (
	epochWall = time.Now().UnixNano()
	epochMono = time.Now()
)

// Now returns the current time in nanoseconds on the clock message headers
// are stamped with.
func Now() int64 { return epochWall + int64(time.Since(epochMono)) }

// Since returns the time elapsed since t, a value from Now.
func Since(t int64) time.Duration { return time.Duration(Now() - t) }
