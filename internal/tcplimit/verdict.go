package tcplimit

import (
	"time"

	"netmatrix/results"
)

// Thresholds of Verdict.
const (
	// LinkShare of the rate limit's bandwidth over the whole run, slow
	// start included, says the link was the limit: slow start on 1 Gbit/s
	// x 50 ms costs some 7% of 8 s.
	LinkShare = 0.85
	// MinRelayLate is the least median lateness of the relay that bounds
	// a flow, whatever the round trip; a longer round trip tolerates
	// RelayLateShare of itself.
	MinRelayLate   = 2 * time.Millisecond
	RelayLateShare = 0.05
	// IdleRoomShare of the busy time spent with room to send and nothing
	// sent (the Writer and Stack classes) says the machine, not a window,
	// held the sender.
	IdleRoomShare = 0.25
	// ReceiverShare of the packets a sender declared lost, when the
	// link did not drop them, says the receiving end did (see
	// LossVerdict).
	ReceiverShare = 0.5
	// RTTSlack is the least a sender's round trip must exceed the
	// longest the link can make by (or a tenth of it, if more) to say
	// the time went elsewhere.
	RTTSlack = 5 * time.Millisecond
)

// Path is what the run's path saw of a flow, apart from the sender.
type Path struct {
	// LinkUse is the share of the rate limit's bandwidth that the
	// flow's direction carried over the run; zero on a link with no
	// rate limit.
	LinkUse float64
	// Relay says a relay moved the packets (the emulated and kernel
	// paths), so its lateness and the CPU it takes can bound a flow.
	Relay bool
	// RelayLate is the relay's median lateness, and RTT the round trip
	// the link was set to.
	RelayLate, RTT time.Duration
	// BDP is the bytes the link holds in a round trip at its rate limit,
	// without queueing; zero without a rate limit.
	BDP float64
	// MaxRTT is the longest round trip the link can make: its delays,
	// jitter and a full rate-limit queue.
	MaxRTT time.Duration
}

// linkBound says the rate limit ran at LinkShare of its bandwidth.
func (p Path) linkBound() bool { return p.LinkUse >= LinkShare }

// relayBound says the relay's median lateness was over MinRelayLate and
// RelayLateShare of the round trip.
func (p Path) relayBound() bool {
	return p.Relay && p.RelayLate > max(MinRelayLate, time.Duration(RelayLateShare*float64(p.RTT)))
}

// Verdict names what bounded a flow whose sender spent t, on a path that
// saw p, in a record's words (results.LimitedBy...):
//   - "link", when the rate limit ran at LinkShare of its bandwidth;
//   - "emulator", when the relay's median lateness was over MinRelayLate
//     and RelayLateShare of the round trip, or when for over
//     IdleRoomShare of the busy time the sender had room to send and did
//     not ("cpu" on a path with no relay), or when the windows, more
//     than loss recovery, held the sender, kept at least the link's BDP
//     in flight (HeldWire: a machine that kept up would have filled the
//     link) and still took longer round trips (HeldRTT) than the link
//     can make by RTTSlack: the time went to a stack or the relay,
//     behind on the CPU;
//   - otherwise the window or buffer that was full the longest:
//     "congestion" (loss recovery's time counts as congestion control's),
//     "receive_window" or "send_buffer", the first of them on a tie.
//
// It returns "" for a sender that was never busy: nothing to tell.
func Verdict(t Times, p Path) string {
	busy := t.Busy()
	if busy <= 0 {
		return ""
	}
	if p.linkBound() {
		return results.LimitedByLink
	}
	if p.relayBound() {
		return results.LimitedByEmulator
	}
	if room := t.Spent[Writer] + t.Spent[Stack]; float64(room) > IdleRoomShare*float64(busy) {
		if p.Relay {
			return results.LimitedByEmulator
		}
		return results.LimitedByCPU
	}
	if p.Relay && p.BDP > 0 && t.Held() > t.Spent[Recovery] && t.HeldWire() >= p.BDP &&
		t.HeldRTT() > p.MaxRTT+max(RTTSlack, p.MaxRTT/10) {
		return results.LimitedByEmulator
	}
	name, most := results.LimitedByCongestion, t.Spent[Congestion]+t.Spent[Recovery]
	if v := t.Spent[ReceiveWindow]; v > most {
		name, most = results.LimitedByReceiveWindow, v
	}
	if t.Spent[SendBuffer] > most {
		name = results.LimitedBySendBuffer
	}
	return name
}

// Losses is what a sender's own loss detection declared lost, next to
// what the link did to the packets of the flow's direction.
type Losses struct {
	// Declared counts the packets the sender declared lost.
	Declared uint64
	// Link counts the packets of the flow's direction that the link
	// dropped: its loss model, a full queue, over the MTU.
	Link uint64
	// Reordered says the link reordered packets of that direction,
	// which a sender may take for loss.
	Reordered bool
}

// LossVerdict names what bounded a flow whose sender nothing watched,
// as QUIC's (quic-go keeps no clocks of its states), from what its
// sender declared lost and what the path saw, in a record's words:
//   - "link" and "emulator" for the link's rate and the relay's
//     lateness, as Verdict says them;
//   - "receiver" when more than ReceiverShare of the declared losses
//     were not the link's, on a link that reordered nothing: the
//     receiving end dropped them (its stack's buffer, or the
//     transport's own queue of packets it had no time to process yet,
//     full), and the sender's congestion control took them for
//     congestion. The rate is then the receiving machine's, not the
//     link's;
//   - "congestion" for any other declared loss: the congestion control
//     answering the link's losses, or reordering it took for loss;
//   - "" when nothing was declared lost: the record cannot tell a
//     window from the CPU then.
func LossVerdict(p Path, l Losses) string {
	switch {
	case p.linkBound():
		return results.LimitedByLink
	case p.relayBound():
		return results.LimitedByEmulator
	case l.Declared == 0:
		return ""
	case !l.Reordered && l.Declared > l.Link && float64(l.Declared-l.Link) > ReceiverShare*float64(l.Declared):
		return results.LimitedByReceiver
	}
	return results.LimitedByCongestion
}
