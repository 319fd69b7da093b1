package busypoll

import "time"

// Default is the budget a zero BusyPoll setting stands for. A ping-pong
// peer answers well within it, so a server or client in a request/reply
// exchange never pays the netpoller's park and wake-up (a few
// microseconds, more than the loopback round trip itself when the
// wake-up crosses CPUs); an idle socket costs this once, then sleeps.
const Default = 50 * time.Microsecond

// Budget resolves a BusyPoll setting: zero is Default, a negative value
// is off (zero).
func Budget(setting time.Duration) time.Duration {
	if setting == 0 {
		return Default
	}
	return max(setting, 0)
}
