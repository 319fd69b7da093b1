package tcplimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const mss = 1000

// base is a sender with room everywhere: a 100-segment peer window, a
// 50-segment congestion window and a 200-segment send buffer.
var base = Look{MSS: mss, PeerWindow: 100 * mss, Cwnd: 50, BufSize: 200 * mss, WakeAt: 0.5}

func look(edit func(*Look)) Look {
	l := base
	edit(&l)
	return l
}

func TestLookClass(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Look)
		want Class
	}{
		{"nothing to send", func(l *Look) {}, Idle},
		{"peer window full", func(l *Look) { l.InFlight, l.Pipe, l.Unsent = 100*mss, 40, 5*mss }, ReceiveWindow},
		// Less than a segment of window left is a full window.
		{"peer window all but full", func(l *Look) { l.InFlight, l.Pipe = 100*mss-1, 40 }, ReceiveWindow},
		// A zero window with data waiting and nothing in flight: the
		// receiver, not idleness.
		{"zero window", func(l *Look) { l.PeerWindow, l.Unsent = 0, 10*mss }, ReceiveWindow},
		// Both windows full: the peer's is tested first, as in Linux.
		{"both windows full", func(l *Look) { l.InFlight, l.Pipe, l.Unsent = 100*mss, 50, mss }, ReceiveWindow},
		{"congestion window full", func(l *Look) { l.InFlight, l.Pipe, l.Unsent = 50*mss, 50, 5*mss }, Congestion},
		// Pipe past the window (after a reduction in recovery).
		{"congestion window overfull", func(l *Look) { l.InFlight, l.Pipe = 60*mss, 60 }, Congestion},
		{"congestion window zero", func(l *Look) { l.Cwnd, l.Unsent = 0, 3*mss }, Congestion},
		// Linux sends GSO frames: room for less than one is no room.
		{"peer window room under a frame", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Quantum = 90*mss, 30, 20*mss, 16*mss }, ReceiveWindow},
		{"peer window room for a frame", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Quantum = 84*mss, 30, 20*mss, 16*mss }, Stack},
		{"congestion window room under a frame", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Quantum = 45*mss, 45, 20*mss, 16*mss }, Congestion},
		{"congestion window room for a frame", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Quantum = 34*mss, 34, 20*mss, 16*mss }, Stack},
		// A hole under repair fills the peer's window; the loss, not the
		// receiver, holds the sender.
		{"recovering, peer window full", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Recovering = 100*mss, 5, 5*mss, true }, Recovery},
		{"recovering with room", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.Recovering = 10*mss, 5, 5*mss, true }, Recovery},
		{"recovering, nothing left", func(l *Look) { l.Recovering = true }, Idle},
		{"data waits with room", func(l *Look) { l.InFlight, l.Pipe, l.Unsent = 10*mss, 10, 5*mss }, Stack},
		// Less than a segment waiting is a tail, not a stack delay.
		{"a sub-segment tail waits", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.BufUsed = 10*mss, 10, mss-1, 11*mss }, Writer},
		// All written data is in flight and the writer still waits for
		// half the buffer to drain.
		{"send buffer", func(l *Look) { l.InFlight, l.Pipe, l.BufUsed = 40*mss, 40, 120*mss }, SendBuffer},
		{"send buffer just at the wake mark", func(l *Look) { l.InFlight, l.Pipe, l.BufUsed = 40*mss, 40, 100*mss }, SendBuffer},
		{"writer behind", func(l *Look) { l.InFlight, l.Pipe, l.BufUsed = 40*mss, 40, 40*mss }, Writer},
		{"buffer size unknown", func(l *Look) { l.InFlight, l.Pipe, l.BufUsed, l.BufSize = 40*mss, 40, 40*mss, 0 }, Writer},
		// An MSS not yet known counts windows to the byte: one byte of
		// room is room.
		{"no MSS", func(l *Look) { l.MSS, l.InFlight, l.PeerWindow, l.Pipe, l.BufUsed = 0, 999, 1000, 1, 999 }, Writer},
		{"no MSS, no room", func(l *Look) { l.MSS, l.InFlight, l.PeerWindow, l.Pipe = 0, 1000, 1000, 1 }, ReceiveWindow},
		// Counts that disagree (unsent below zero, from a buffer counted
		// before the last ACK) are read as nothing unsent.
		{"negative unsent", func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.BufUsed = 10*mss, 10, -5*mss, 150*mss }, SendBuffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, look(tc.edit).Class())
		})
	}
}

var (
	cwndFull = look(func(l *Look) { l.InFlight, l.Pipe, l.Unsent = 50*mss, 50, 5*mss })
	rwndFull = look(func(l *Look) { l.InFlight, l.Pipe = 100*mss, 40 })
	bufFull  = look(func(l *Look) { l.InFlight, l.Pipe, l.BufUsed = 40*mss, 40, 190*mss })
	idle     = base
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// Hand-worked sequences of looks: each is charged the time to the next,
// the last the time to Stop.
func TestClock(t *testing.T) {
	type at struct {
		t int // ms
		l Look
	}
	for _, tc := range []struct {
		name  string
		looks []at
		stop  int
		want  map[Class]time.Duration
		busy  time.Duration
	}{
		{
			name:  "charged to the state left",
			looks: []at{{0, cwndFull}, {30, rwndFull}, {40, idle}, {90, cwndFull}, {100, cwndFull}},
			stop:  100,
			want:  map[Class]time.Duration{Congestion: ms(40), ReceiveWindow: ms(10), Idle: ms(50)},
			busy:  ms(50), // idle is not busy
		},
		{
			name:  "the last look runs to Stop",
			looks: []at{{0, bufFull}, {10, cwndFull}},
			stop:  70,
			want:  map[Class]time.Duration{SendBuffer: ms(10), Congestion: ms(60)},
			busy:  ms(70),
		},
		{
			// A clock that goes back charges nothing for the step back
			// and does not charge twice after it.
			name:  "time going back",
			looks: []at{{0, cwndFull}, {50, rwndFull}, {20, bufFull}, {60, cwndFull}},
			stop:  60,
			want:  map[Class]time.Duration{Congestion: ms(50), SendBuffer: ms(10)},
			busy:  ms(60),
		},
		{
			name:  "looks at the same instant",
			looks: []at{{5, rwndFull}, {5, bufFull}, {5, cwndFull}},
			stop:  15,
			want:  map[Class]time.Duration{Congestion: ms(10)},
			busy:  ms(10),
		},
		{
			name: "no look",
			stop: 100,
			want: map[Class]time.Duration{},
		},
		{
			// Stop before the last look: the clock ends where it is.
			name:  "stop in the past",
			looks: []at{{0, cwndFull}, {40, rwndFull}},
			stop:  10,
			want:  map[Class]time.Duration{Congestion: ms(40)},
			busy:  ms(40),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Clock
			for _, a := range tc.looks {
				c.Observe(ms(a.t), a.l)
			}
			c.Stop(ms(tc.stop))
			got := c.Times()
			for cl := Idle; cl < numClasses; cl++ {
				assert.Equal(t, tc.want[cl], got.Spent[cl], "%v", cl)
			}
			assert.Equal(t, tc.busy, got.Busy())
			assert.Equal(t, len(tc.looks), got.Looks)
		})
	}
}

// Looks after Stop, and a second Stop, change nothing: what the sender
// does once its writer is done is not what held it back.
func TestClockStopped(t *testing.T) {
	var c Clock
	c.Observe(0, cwndFull)
	c.Stop(ms(10))
	c.Observe(ms(20), rwndFull)
	c.Stop(ms(500))
	got := c.Times()
	assert.Equal(t, ms(10), got.Spent[Congestion])
	assert.Equal(t, ms(10), got.Busy())
	assert.Equal(t, 1, got.Looks)
}

func TestClockMaxima(t *testing.T) {
	var c Clock
	c.Observe(0, look(func(l *Look) { l.PeerWindow, l.BufSize = 64<<10, 16<<10 }))
	c.Observe(ms(1), look(func(l *Look) { l.PeerWindow, l.BufSize = 3<<20, 4<<20 }))
	c.Observe(ms(2), look(func(l *Look) { l.PeerWindow, l.BufSize = 1<<20, 4<<20 }))
	got := c.Times()
	assert.Equal(t, 3<<20, got.MaxPeerWindow)
	assert.Equal(t, 4<<20, got.MaxSendBuffer)
}

// The windows' time carries what they kept on the path.
func TestClockHeldWire(t *testing.T) {
	var c Clock
	// Congestion with 10 segments on the path, then with 30 of 90 in
	// flight (the rest SACKed above a hole), then the writer behind,
	// which is no window's time.
	c.Observe(0, look(func(l *Look) { l.InFlight, l.OnPath, l.Pipe, l.Cwnd, l.Unsent = 10*mss, 10*mss, 10, 10, mss }))
	c.Observe(ms(10), look(func(l *Look) { l.InFlight, l.OnPath, l.Pipe, l.Cwnd, l.Unsent = 90*mss, 30*mss, 30, 30, mss }))
	c.Observe(ms(40), look(func(l *Look) { l.InFlight, l.OnPath, l.Pipe, l.BufUsed = 40*mss, 40*mss, 40, 40*mss }))
	c.Stop(ms(50))
	got := c.Times()
	// (10 segments x 10 ms + 30 x 30 ms) / 40 ms = 25 segments.
	assert.InDelta(t, 25*mss, got.HeldWire(), 1e-6)
	assert.Zero(t, Times{}.HeldWire())
	assert.Zero(t, Times{}.HeldRTT())
}

// The round trips the windows' time saw, weighted by it.
func TestClockHeldRTT(t *testing.T) {
	var c Clock
	c.Observe(0, look(func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.RTT = 50*mss, 50, mss, ms(60) }))        // congestion
	c.Observe(ms(30), look(func(l *Look) { l.InFlight, l.Pipe, l.Unsent, l.RTT = 100*mss, 40, mss, ms(100) })) // receive window
	c.Observe(ms(40), look(func(l *Look) { l.RTT = ms(900) }))                                                 // idle: not a window
	c.Stop(ms(90))
	// (60 ms x 30 ms + 100 ms x 10 ms) / 40 ms = 70 ms.
	assert.Equal(t, ms(70), c.Times().HeldRTT())
}

func TestClassString(t *testing.T) {
	assert.Equal(t, "receive_window", ReceiveWindow.String())
	assert.Equal(t, "unknown", Class(99).String())
}
