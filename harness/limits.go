package harness

import (
	"time"

	"netmatrix/harness/link"
	"netmatrix/internal/tcplimit"
	"netmatrix/results"
)

// putSenderLimits writes what a sender spent in each class into r;
// nothing where no one followed the sender (t nil).
func putSenderLimits(r *results.Result, t *tcplimit.Times) {
	if t == nil {
		return
	}
	r.LimitedMs = &results.SenderLimits{
		Busy:          results.Ms(t.Busy()),
		ReceiveWindow: results.Ms(t.Spent[tcplimit.ReceiveWindow]),
		Congestion:    results.Ms(t.Spent[tcplimit.Congestion]),
		Recovery:      results.Ms(t.Spent[tcplimit.Recovery]),
		SendBuffer:    results.Ms(t.Spent[tcplimit.SendBuffer]),
		Writer:        results.Ms(t.Spent[tcplimit.Writer]),
		Stack:         results.Ms(t.Spent[tcplimit.Stack]),
	}
	r.MaxSendBuffer, r.MaxPeerWindow = int64(t.MaxSendBuffer), int64(t.MaxPeerWindow)
	r.WindowInFlight, r.WindowRTT = int64(t.HeldWire()), results.Ms(t.HeldRTT())
}

// judgeLimits sets what the path of scenario sc saw of bulk row r: the
// share of the link's rate its data's direction carried (LinkShare), and
// what held the flow back (LimitedBy): for a TCP flow whose sender was
// watched, tcplimit.Verdict, from the sender's clocks, that share and how
// late the relay was; for QUIC, tcplimit.LossVerdict, from what its
// sender declared lost against what the link dropped.
func judgeLimits(r *results.Result, sc results.Scenario) {
	data, acks := sc.DataLinks(r.Direction)
	counters := r.DataLink()
	if counters == nil && sc.Link == results.LinkLoopback {
		// No link between the two ends: nothing was dropped on the way.
		counters = &link.Counters{}
	}
	var p tcplimit.Path
	if st := r.Path; st != nil {
		p.Relay = st.RelayLateness != nil
		if p.Relay {
			p.RelayLate = time.Duration(st.RelayLateness.P50 * float64(time.Millisecond))
		}
		if data != nil && data.BandwidthBits > 0 && r.Elapsed > 0 {
			capacity := float64(data.BandwidthBits) / 8 * r.Elapsed.D().Seconds()
			p.LinkUse = float64(counters.Bytes) / capacity
			r.LinkShare = results.Float(p.LinkUse)
		}
	}
	if rtt, ok := sc.RTT(); ok {
		p.RTT = rtt
		p.BDP = float64(data.BandwidthBits) / 8 * rtt.Seconds()
		p.MaxRTT = maxRTT(data, acks)
	}
	l := r.LimitedMs
	if l == nil {
		// A QUIC row: its sender's declared losses against the link's
		// drops, where the path counted them (not over a remote path's
		// real network).
		if lost, ok := r.DeclaredLost(); ok && counters != nil {
			r.LimitedBy = tcplimit.LossVerdict(p, tcplimit.Losses{
				Declared: lost, Link: counters.Dropped(), Reordered: counters.Reordered > 0,
			})
		}
		return
	}
	var t tcplimit.Times
	t.Spent[tcplimit.ReceiveWindow] = l.ReceiveWindow.D()
	t.Spent[tcplimit.Congestion] = l.Congestion.D()
	t.Spent[tcplimit.Recovery] = l.Recovery.D()
	t.Spent[tcplimit.SendBuffer] = l.SendBuffer.D()
	t.Spent[tcplimit.Writer] = l.Writer.D()
	t.Spent[tcplimit.Stack] = l.Stack.D()
	// The record keeps only the means while the windows held the
	// sender, which is all of them the verdict reads (HeldWire, HeldRTT).
	t.WireSeconds[tcplimit.Congestion] = float64(r.WindowInFlight) * t.Held().Seconds()
	t.RTTSeconds[tcplimit.Congestion] = r.WindowRTT.D().Seconds() * t.Held().Seconds()
	r.LimitedBy = tcplimit.Verdict(t, p)
}

// maxRTT is the longest round trip a flow makes whose data goes over the
// data link and its ACKs back over acks: both delays, three spreads of
// jitter each way, and both rate-limit queues full, of full-sized
// packets on data and of ACKs (ackBytes) on acks.
func maxRTT(data, acks *results.Link) time.Duration {
	const ackBytes = 100 // IPv4, TCP, timestamps and SACK blocks
	d := data.Delay.D() + acks.Delay.D() + 3*(data.Jitter.D()+acks.Jitter.D())
	if data.BandwidthBits > 0 {
		d += time.Duration(float64(data.Queue*data.MTU*8) / float64(data.BandwidthBits) * float64(time.Second))
	}
	if acks.BandwidthBits > 0 {
		d += time.Duration(float64(acks.Queue*ackBytes*8) / float64(acks.BandwidthBits) * float64(time.Second))
	}
	return d
}

// putSpurious notes on r what the server half's tap counted of its path:
// the sender's retransmissions of data the link had delivered. The
// path's counters join it when the run ends (runJob).
func putSpurious(r *results.Result, spurious *uint64) {
	if spurious == nil {
		return
	}
	r.Path = &results.PathStats{TCPSpuriousRetransmits: spurious}
}
