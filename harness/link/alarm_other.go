//go:build !linux

package link

// newAlarm is a Go timer's alarm: there is no timerfd here.
func newAlarm() alarm { return newTimerAlarm() }
