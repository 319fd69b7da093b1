package tcplimit

import "time"

// A Class is what held a sender back at one look.
type Class uint8

const (
	Idle          Class = iota // nothing in flight, nothing to send
	ReceiveWindow              // the peer's receive window is full
	Congestion                 // the congestion window is full
	Recovery                   // a loss is being repaired
	SendBuffer                 // all written data is in flight and the writer waits for room
	Writer                     // room to send, and the writer has not written
	Stack                      // room to send and data to send, not sent yet
	numClasses
)

var classNames = [numClasses]string{"idle", "receive_window", "congestion", "recovery", "send_buffer", "writer", "stack"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Look is one look at a TCP sender, in its stack's own terms.
type Look struct {
	// InFlight is data sent and not yet cumulatively acknowledged
	// (SND.NXT - SND.UNA), and Unsent what the writer has handed the
	// stack that it has not sent yet, in bytes.
	InFlight, Unsent int
	// MSS is the sender's segment size in bytes. Zero is taken as one
	// byte.
	MSS int
	// Quantum is the least the stack sends at once, in bytes: a window
	// with less room is full. Zero means one segment, as gVisor sends;
	// Linux builds GSO frames of up to 64 KiB, about a millisecond of its
	// pacing rate (tcp_tso_autosize), and defers a send the room left
	// would cut short (tcp_tso_should_defer).
	Quantum int
	// PeerWindow is the receive window the peer last advertised, in
	// bytes from SND.UNA.
	PeerWindow int
	// Pipe is the segments the congestion window counts as in flight,
	// and Cwnd the congestion window in segments. A window of zero is a
	// full one (the pinned gVisor's CUBIC can shrink it to zero).
	Pipe, Cwnd int
	// OnPath is the bytes in flight that are neither selectively
	// acknowledged nor taken for lost: what the sender has on the path.
	OnPath int
	// RTT is the sender's smoothed round-trip time.
	RTT time.Duration
	// Recovering says the sender is repairing a loss (fast recovery, or
	// recovery after a retransmission timeout): what holds it then is
	// the loss and TCP's answer to it, whichever window a hole has left
	// full.
	Recovering bool
	// BufUsed is what the send buffer holds (in flight and unsent, as
	// the stack counts it) and BufSize its size, in bytes; a BufSize of
	// zero means unknown, and the buffer is never blamed.
	BufUsed, BufSize int
	// WakeAt is the share of BufSize that BufUsed must drop below before
	// the stack wakes a writer blocked on a full buffer: 1/2 in gVisor
	// (Endpoint.updateSndBufferUsage), 2/3 in Linux
	// (sk_stream_is_writeable: free space at least half the queued).
	WakeAt float64
}

// Class applies Linux's order (tcp_write_xmit: tcp_snd_wnd_test, then
// tcp_cwnd_test) to l, once a loss under repair is put first.
func (l Look) Class() Class {
	mss := max(l.MSS, 1)
	quantum := max(l.Quantum, mss)
	switch {
	case l.InFlight <= 0 && l.Unsent <= 0:
		return Idle
	case l.Recovering:
		return Recovery
	case l.PeerWindow-l.InFlight < quantum:
		return ReceiveWindow
	case (l.Cwnd-l.Pipe)*mss < quantum:
		return Congestion
	case l.Unsent >= mss:
		return Stack
	case l.BufSize > 0 && float64(l.BufUsed) >= l.WakeAt*float64(l.BufSize):
		return SendBuffer
	default:
		return Writer
	}
}

// Times is how long a sender spent in each class, and what its looks
// saw at most.
type Times struct {
	Spent [numClasses]time.Duration
	// WireSeconds is, per class, the bytes on the path (Look.OnPath)
	// integrated over the time charged to it, in byte-seconds: divided
	// by Spent, what the sender kept in flight while that held it.
	WireSeconds [numClasses]float64
	// RTTSeconds is, per class, the smoothed round trip (Look.RTT, in
	// seconds) integrated over the time charged to it.
	RTTSeconds [numClasses]float64
	// Looks counts the looks taken.
	Looks int
	// MaxPeerWindow and MaxSendBuffer are the largest receive window the
	// peer advertised and the largest send buffer the sender had, in
	// bytes: the sizes a window or buffer limit ran into.
	MaxPeerWindow, MaxSendBuffer int
}

// Held is the time a window or the send buffer held the sender
// (ReceiveWindow, Congestion, SendBuffer), loss recovery apart.
func (t Times) Held() time.Duration {
	return t.Spent[ReceiveWindow] + t.Spent[Congestion] + t.Spent[SendBuffer]
}

// HeldWire is the mean bytes the sender had on the path while a window
// or its buffer held it (Held): what those limits let it keep in
// flight. Zero if they never held it.
func (t Times) HeldWire() float64 { return t.heldMean(&t.WireSeconds) }

// HeldRTT is the mean smoothed round trip while a window or its buffer
// held the sender (Held); zero if they never held it.
func (t Times) HeldRTT() time.Duration {
	return time.Duration(t.heldMean(&t.RTTSeconds) * float64(time.Second))
}

// heldMean is the mean over Held of a figure integrated per class.
func (t Times) heldMean(integral *[numClasses]float64) float64 {
	held := t.Held()
	if held <= 0 {
		return 0
	}
	var sum float64
	for _, c := range []Class{ReceiveWindow, Congestion, SendBuffer} {
		sum += integral[c]
	}
	return sum / held.Seconds()
}

// Busy is the time the sender had data in flight or to send: every
// class but Idle, as Linux's tcpi_busy_time.
func (t Times) Busy() time.Duration {
	var busy time.Duration
	for c := Idle + 1; c < numClasses; c++ {
		busy += t.Spent[c]
	}
	return busy
}

// A Clock adds up the time a sender spends in each class: each look is
// charged the time until the next, the last one the time until Stop. The
// zero Clock is ready; it is not safe for use by several goroutines.
type Clock struct {
	times   Times
	last    time.Duration // when the last look was taken, on the caller's clock
	class   Class
	wire    int           // the last look's OnPath
	rtt     time.Duration // and RTT
	started bool
	stopped bool
}

// Observe takes a look l at time now (on any clock the caller keeps for
// the whole flow). A look from before the last one, a clock that went
// back, sets the class but charges nothing; looks after Stop are passed
// over.
func (c *Clock) Observe(now time.Duration, l Look) {
	if c.stopped {
		return
	}
	c.charge(now)
	c.class, c.wire, c.rtt, c.started = l.Class(), max(l.OnPath, 0), max(l.RTT, 0), true
	c.times.Looks++
	c.times.MaxPeerWindow = max(c.times.MaxPeerWindow, l.PeerWindow)
	c.times.MaxSendBuffer = max(c.times.MaxSendBuffer, l.BufSize)
}

// charge gives the time since the last look to its class.
func (c *Clock) charge(now time.Duration) {
	if !c.started {
		c.last = now
		return
	}
	if now > c.last {
		c.times.Spent[c.class] += now - c.last
		c.times.WireSeconds[c.class] += float64(c.wire) * (now - c.last).Seconds()
		c.times.RTTSeconds[c.class] += c.rtt.Seconds() * (now - c.last).Seconds()
		c.last = now
	}
}

// Stop charges the last look up to now and ends the clock: what the
// sender does after its writer is done (the queue draining) is not what
// held the transfer back.
func (c *Clock) Stop(now time.Duration) {
	if c.stopped {
		return
	}
	c.charge(now)
	c.stopped = true
}

// Times is what the clock has added up so far.
func (c *Clock) Times() Times { return c.times }
