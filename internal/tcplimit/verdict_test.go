package tcplimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"netmatrix/results"
)

// times is a sender's clocks in ms per class.
func times(cwnd, rwnd, sndbuf, writer, stack int) Times {
	var t Times
	t.Spent[Congestion], t.Spent[ReceiveWindow], t.Spent[SendBuffer] = ms(cwnd), ms(rwnd), ms(sndbuf)
	t.Spent[Writer], t.Spent[Stack] = ms(writer), ms(stack)
	t.Spent[Idle] = ms(500) // never counts
	return t
}

// recovering adds ms of loss recovery to t.
func recovering(t Times, n int) Times {
	t.Spent[Recovery] = ms(n)
	return t
}

// held sets what t's windows kept on the path, on average, in bytes,
// and the sender's round trip while they did, in ms.
func held(t Times, wire float64, rtt int) Times {
	for _, c := range []Class{ReceiveWindow, Congestion, SendBuffer} {
		t.WireSeconds[c] = wire * t.Spent[c].Seconds()
		t.RTTSeconds[c] = ms(rtt).Seconds() * t.Spent[c].Seconds()
	}
	return t
}

// lfn is 1 Gbit/s x 50 ms with a 5000-packet queue (60 ms full) whose
// rate limit the flow used share of.
func lfn(share float64) Path {
	return Path{Relay: true, RTT: ms(50), LinkUse: share, BDP: 6.25e6, MaxRTT: ms(110)}
}

func TestVerdict(t *testing.T) {
	relay := Path{Relay: true, RTT: ms(50)}
	with := func(edit func(*Path)) Path {
		p := relay
		edit(&p)
		return p
	}
	for _, tc := range []struct {
		name string
		t    Times
		p    Path
		want string
	}{
		{"never busy", Times{}, relay, ""},
		{"only idle", times(0, 0, 0, 0, 0), with(func(p *Path) { p.LinkUse = 1 }), ""},
		{"link busy", times(1000, 7000, 0, 0, 0), with(func(p *Path) { p.LinkUse = 0.95 }), results.LimitedByLink},
		{"link at the mark", times(1000, 7000, 0, 0, 0), with(func(p *Path) { p.LinkUse = LinkShare }), results.LimitedByLink},
		{"link just below the mark", times(1000, 7000, 0, 0, 0), with(func(p *Path) { p.LinkUse = 0.8499 }), results.LimitedByReceiveWindow},
		// A full link wins over a late relay: the flow got the link's
		// rate whatever the relay did.
		{"link busy, relay late", times(8000, 0, 0, 0, 0), with(func(p *Path) { p.LinkUse, p.RelayLate = 0.9, ms(20) }), results.LimitedByLink},
		{"relay late", times(0, 8000, 0, 0, 0), with(func(p *Path) { p.LinkUse, p.RelayLate = 0.3, ms(3) }), results.LimitedByEmulator},
		// 5% of a 50 ms round trip is 2.5 ms: 2.4 ms late is within it.
		{"relay late within the round trip's share", times(0, 8000, 0, 0, 0), with(func(p *Path) { p.RelayLate = 2400 * time.Microsecond }), results.LimitedByReceiveWindow},
		// On a short round trip the floor is 2 ms.
		{"relay late within the floor", times(0, 8000, 0, 0, 0), Path{Relay: true, RTT: ms(1), RelayLate: ms(2)}, results.LimitedByReceiveWindow},
		{"relay late past the floor", times(0, 8000, 0, 0, 0), Path{Relay: true, RTT: ms(1), RelayLate: ms(2) + 1}, results.LimitedByEmulator},
		// Writer and stack together over a quarter of the busy time.
		{"writer starved", times(1000, 3000, 0, 3000, 1000), relay, results.LimitedByEmulator},
		{"room unused at a quarter", times(3000, 0, 0, 500, 500), relay, results.LimitedByCongestion},
		{"room unused past a quarter", times(3000, 0, 0, 500, 501), relay, results.LimitedByEmulator},
		// Loopback has no relay: the CPU.
		{"loopback writer starved", times(1000, 0, 0, 4000, 0), Path{}, results.LimitedByCPU},
		{"loopback, late figure ignored", times(0, 8000, 0, 0, 0), Path{RelayLate: ms(100)}, results.LimitedByReceiveWindow},
		{"receive window", times(1000, 6000, 1000, 0, 0), relay, results.LimitedByReceiveWindow},
		{"send buffer", times(1000, 0, 7000, 0, 0), relay, results.LimitedBySendBuffer},
		{"congestion, no rate limit", times(7000, 1000, 0, 0, 0), Path{Relay: true}, results.LimitedByCongestion},
		// Ties go to the first in Linux's order after the peer's window:
		// congestion, then the receive window, then the send buffer.
		{"tie congestion and receive window", times(4000, 4000, 0, 0, 0), relay, results.LimitedByCongestion},
		{"tie receive window and send buffer", times(0, 4000, 4000, 0, 0), relay, results.LimitedByReceiveWindow},
		// The windows kept the link's bandwidth-delay product in flight,
		// yet the link ran at half its rate and the round trips took 150
		// ms where the link makes 110 at most (50 ms and a full 60 ms
		// queue): the time went to the machine.
		{"windows over the BDP, round trips past the link's", held(times(6000, 2000, 0, 0, 0), 7e6, 150), lfn(0.5), results.LimitedByEmulator},
		{"round trips at the slack", held(times(6000, 2000, 0, 0, 0), 7e6, 121), lfn(0.5), results.LimitedByCongestion},
		{"round trips just past it", held(times(6000, 2000, 0, 0, 0), 7e6, 122), lfn(0.5), results.LimitedByEmulator},
		// Round trips the link's queue explains: the flow lost time to
		// something else (its slow start, a loss), not to the machine.
		{"windows over the BDP, round trips the link's", held(times(6000, 2000, 0, 0, 0), 7e6, 70), lfn(0.77), results.LimitedByCongestion},
		// Under the BDP the window binds however long the round trips.
		{"windows under the BDP", held(times(6000, 2000, 0, 0, 0), 3e6, 300), lfn(0.3), results.LimitedByCongestion},
		{"windows at the BDP, link full", held(times(6000, 2000, 0, 0, 0), 7e6, 150), lfn(0.97), results.LimitedByLink},
		// No rate limit, no BDP to hold them against; on loopback no relay.
		{"windows large, no rate limit", held(times(6000, 2000, 0, 0, 0), 7e6, 300), relay, results.LimitedByCongestion},
		{"windows large, no relay", held(times(6000, 2000, 0, 0, 0), 7e6, 300), Path{BDP: 1e6, MaxRTT: ms(50)}, results.LimitedByCongestion},
		// Loss recovery counts as congestion control's: a stall in
		// recovery with a full receive window reads as congestion.
		{"recovery", recovering(times(500, 3000, 0, 0, 0), 5000), relay, results.LimitedByCongestion},
		// A long recovery explains an idle link, whatever the windows
		// held when they held the sender.
		{"recovery over windows past the BDP", recovering(held(times(1000, 1000, 0, 0, 0), 9e6, 150), 8000), lfn(0.1), results.LimitedByCongestion},
		{"windows past the BDP over recovery", recovering(held(times(4000, 1000, 0, 0, 0), 9e6, 150), 1000), lfn(0.5), results.LimitedByEmulator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Verdict(tc.t, tc.p))
		})
	}
}

// A whole transfer, look by look, as the kernel path samples it every
// 10 ms: slow start (congestion), then the send buffer full of data in
// flight while the writer sleeps, with one late look from a busy machine.
func TestVerdictOfASampledRun(t *testing.T) {
	var c Clock
	now := time.Duration(0)
	step := func(l Look, n int) {
		for range n {
			c.Observe(now, l)
			now += 10 * time.Millisecond
		}
	}
	step(cwndFull, 30)           // 300 ms of slow start
	step(bufFull, 600)           // 6 s held by the buffer
	now += 90 * time.Millisecond // the sampler ran late once
	step(bufFull, 1)             //   and that 100 ms is the buffer's too
	step(look(func(l *Look) {    // the writer woke to refill
		l.InFlight, l.Pipe, l.BufUsed = 40*mss, 40, 60*mss
	}), 10)
	c.Stop(now)
	got := c.Times()
	assert.Equal(t, 300*time.Millisecond, got.Spent[Congestion])
	assert.Equal(t, 6100*time.Millisecond, got.Spent[SendBuffer])
	assert.Equal(t, 100*time.Millisecond, got.Spent[Writer])
	assert.Equal(t, results.LimitedBySendBuffer, Verdict(got, Path{Relay: true, RTT: ms(50), LinkUse: 0.43}))
}

// LossVerdict on hand-worked runs, the long fat link's QUIC rows among
// them: 1,462 packets declared lost where the link dropped none (the
// receiving quic-go's queue overflowed), at 36% of the link's rate.
func TestLossVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Path
		l    Losses
		want string
	}{
		{"nothing lost, nothing to tell", lfn(0.36), Losses{}, ""},
		{"the link's rate first", lfn(0.92), Losses{Declared: 1462}, results.LimitedByLink},
		{"a late relay next", Path{Relay: true, RTT: ms(50), RelayLate: ms(4)}, Losses{Declared: 10, Link: 10}, results.LimitedByEmulator},
		{"a relay late by less than 5% of the round trip", Path{Relay: true, RTT: ms(50), RelayLate: ms(2)}, Losses{Declared: 10, Link: 10}, results.LimitedByCongestion},
		{"the receiver dropped them all", lfn(0.36), Losses{Declared: 1462}, results.LimitedByReceiver},
		{"the link's losses", lfn(0.2), Losses{Declared: 300, Link: 310}, results.LimitedByCongestion},
		// 6 of 10 not the link's: over half.
		{"most not the link's", lfn(0.2), Losses{Declared: 10, Link: 4}, results.LimitedByReceiver},
		// 5 of 10: half is not over half.
		{"half not the link's", lfn(0.2), Losses{Declared: 10, Link: 5}, results.LimitedByCongestion},
		// A reordering link makes losses the sender declares and the
		// link did not cause: not the receiver's doing.
		{"reordered, not dropped", lfn(0.2), Losses{Declared: 40, Reordered: true}, results.LimitedByCongestion},
		// The link dropped more than were declared (some of what it
		// dropped were ACKs or probes): the link's.
		{"more dropped than declared", lfn(0.2), Losses{Declared: 3, Link: 90}, results.LimitedByCongestion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, LossVerdict(tc.p, tc.l))
		})
	}
}
