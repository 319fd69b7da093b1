package report

import (
	"fmt"
	"strings"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// explain says in plain words what a workload's rows show, one sentence
// per scenario: who delivered everything, who lost what, how the tail
// latency of the reliable transport compares with UDP's, and where
// messages waited behind lost ones.
func explain(workload string, rows []results.Result, scenarioOf func(i int) string) string {
	var order []string
	by := map[string][]results.Result{}
	for i, r := range rows {
		s := scenarioOf(i)
		if _, ok := by[s]; !ok {
			order = append(order, s)
		}
		by[s] = append(by[s], r)
	}
	var out []string
	for _, s := range order {
		if sentence := explainScenario(workload, by[s]); sentence != "" {
			out = append(out, fmt.Sprintf("On %s: %s.", s, sentence))
		}
	}
	return strings.Join(out, " ")
}

func explainScenario(workload string, rs []results.Result) string {
	if workload == catalog.Bulk {
		return explainBulk(rs)
	}
	var clauses []string
	var complete, broken, cut []string
	for _, r := range rs {
		switch {
		case r.Interrupted:
			cut = append(cut, r.Transport)
		case failed(&r):
			broken = append(broken, r.Transport)
		case r.Lost == 0 && r.Corrupt == 0:
			complete = append(complete, r.Transport)
		}
	}
	if len(complete) > 0 {
		clauses = append(clauses, fmt.Sprintf("%s %s", joinNames(complete), wholeVerb(workload)))
	}
	for _, r := range rs {
		if r.Lost > 0 && r.Sent > 0 && !r.Interrupted {
			clauses = append(clauses, fmt.Sprintf("%s lost %s of %s (%s)", r.Transport,
				count(r.Lost, r.Unit), count(r.Sent, r.Unit), fmtPct(lossPct(&r))))
		}
	}
	if len(broken) > 0 {
		clauses = append(clauses, fmt.Sprintf("%s did not complete (see the errors)", joinNames(broken)))
	}
	if len(cut) > 0 {
		clauses = append(clauses, fmt.Sprintf("%s %s interrupted, so %s figures say nothing of the whole run", joinNames(cut),
			map[bool]string{true: "was", false: "were"}[len(cut) == 1], map[bool]string{true: "its", false: "their"}[len(cut) == 1]))
	}
	if c := compareTail(workload, rs); c != "" {
		clauses = append(clauses, c)
	}
	if c := emulatorClause(rs); c != "" {
		clauses = append(clauses, c)
	}
	if workload == catalog.Stream {
		if c := holClause(rs); c != "" {
			clauses = append(clauses, c)
		}
	}
	return strings.Join(clauses, "; ")
}

// emulatorClause names the rows (marked * in the table) whose figures the
// emulator or the CPU bounded, not the transport.
func emulatorClause(rs []results.Result) string {
	var names []string
	var late float64
	for _, r := range rs {
		if r.EmulatorBound && r.Path != nil && r.Path.RelayLateness != nil {
			names = append(names, r.Transport)
			late = max(late, r.Path.RelayLateness.P99)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("the rows marked * (%s) describe this machine more than the transport: the link's relay handed packets over up to %s ms late (p99), so the emulator or the CPU bounded them",
		joinNames(names), fmtMs(late))
}

// explainBulk says how fast each transport moved intact data and what it
// cost: loss for datagrams, a queue behind the sender for byte streams.
func explainBulk(rs []results.Result) string {
	var clauses []string
	for _, r := range rs {
		var c string
		switch {
		case r.Interrupted:
			c = fmt.Sprintf("%s was interrupted", r.Transport)
		case failed(&r):
			c = fmt.Sprintf("%s did not complete (see the errors)", r.Transport)
		case r.Verified != nil && !*r.Verified:
			c = fmt.Sprintf("%s delivered damaged data at %s Mbit/s", r.Transport, fmtRate(val(r.GoodputMbitS)))
		case r.Lost > 0:
			c = fmt.Sprintf("%s carried %s Mbit/s but lost %s", r.Transport, fmtRate(val(r.GoodputMbitS)), fmtPct(lossPct(&r))) + endsLost(r)
		default:
			c = fmt.Sprintf("%s carried %s Mbit/s with nothing lost", r.Transport, fmtRate(val(r.GoodputMbitS)))
			if r.InFlight > 0 {
				c += fmt.Sprintf(" (%s still queued behind it at the end)", fmtBytes(r.InFlight))
			}
		}
		clauses = append(clauses, c)
	}
	for _, r := range rs {
		if c := limitClause(r); c != "" {
			clauses = append(clauses, c)
		}
		if c := spuriousClause(r); c != "" {
			clauses = append(clauses, c)
		}
	}
	if c := emulatorClause(rs); c != "" {
		clauses = append(clauses, c)
	}
	return strings.Join(clauses, "; ")
}

// endsLost says, of a datagram flow that lost more datagrams than the
// link dropped packets its way, that the rest were lost at its ends (a
// receiver's queue or buffer, the sender's own): the loss is not the
// path's. Empty where the link's drops account for it, or where the path
// counted none.
func endsLost(r results.Result) string {
	l := r.DataLink()
	if r.Unit != results.UnitDatagrams || l == nil || r.Lost <= 0 {
		return ""
	}
	dropped := l.Dropped()
	switch {
	case dropped >= uint64(r.Lost):
		return ""
	case dropped == 0:
		return " (the link dropped none: they were lost at the ends)"
	}
	return fmt.Sprintf(" (the link dropped %d packets its way: the rest were lost at the ends)", dropped)
}

// limitClause says what held a TCP or QUIC bulk flow back (its
// limited_by), with the size that held it and how much of the link it
// used: "tcp was held by its 4 MiB send buffer, at 43% of the link's
// rate".
func limitClause(r results.Result) string {
	if r.LimitedBy == "" || r.Interrupted {
		return ""
	}
	by := map[string]string{
		results.LimitedByLink:          "the link",
		results.LimitedByCongestion:    "its congestion window",
		results.LimitedByReceiveWindow: "the receiver's window",
		results.LimitedBySendBuffer:    "its send buffer",
		results.LimitedByEmulator:      "the emulator (the relay, or the CPU it shares with the stacks), not TCP or the link",
		results.LimitedByCPU:           "this machine's CPU, not TCP",
	}[r.LimitedBy]
	switch {
	case r.LimitedBy == results.LimitedByReceiver:
		by = receiverWords(r)
	case by == "":
		by = r.LimitedBy
	case r.LimitedBy == results.LimitedByCongestion && r.LimitedMs != nil && r.LimitedMs.Recovery > r.LimitedMs.Congestion:
		by = "its loss recovery"
	case r.LimitedBy == results.LimitedBySendBuffer && r.MaxSendBuffer > 0:
		by = "its " + fmtBytes(r.MaxSendBuffer) + " send buffer"
	case r.LimitedBy == results.LimitedByReceiveWindow && r.MaxPeerWindow > 0:
		by = "the receiver's " + fmtBytes(r.MaxPeerWindow) + " window"
	}
	c := fmt.Sprintf("%s was held by %s", r.Transport, by)
	switch {
	case r.LinkShare == nil:
	case r.LimitedBy == results.LimitedByLink:
		c += fmt.Sprintf(", at %s of its rate", fmtPct(100*min(*r.LinkShare, 1)))
	default:
		c += fmt.Sprintf(", at %s of the link's rate", fmtPct(100*min(*r.LinkShare, 1)))
	}
	return c
}

// receiverWords says where the losses that held a flow limited by its
// receiver came from: what its sender declared lost, against what the
// link dropped of that direction.
func receiverWords(r results.Result) string {
	const why = ", unable to take them in time on this machine; congestion control took them for congestion"
	declared, _ := r.DeclaredLost()
	l := r.DataLink()
	if l == nil { // loopback: the verdict is only made where drops are known
		return fmt.Sprintf("its receiving end: the %d packets its sender declared lost crossed no link, and the receiver dropped them", declared) + why
	}
	return fmt.Sprintf("its receiving end, not the link: of the %d packets its sender declared lost, the link dropped %d, and the receiver the rest", declared, l.Dropped()) + why
}

// spuriousClause counts the retransmissions a TCP flow's sender made of
// data the link had delivered, where there were any.
func spuriousClause(r results.Result) string {
	if r.Path == nil || r.Path.TCPSpuriousRetransmits == nil || *r.Path.TCPSpuriousRetransmits == 0 {
		return ""
	}
	n := *r.Path.TCPSpuriousRetransmits
	return fmt.Sprintf("%d of the %d segments %s retransmitted %s spurious (data the link had delivered)",
		n, r.Path.TCPRetransmits, r.Transport, map[bool]string{true: "was", false: "were"}[n == 1])
}

// noiseMs is how much a p99 on a busy machine owes to the machine
// itself (a thread descheduled, a timer late) rather than to the
// transport: below it on both sides, a ratio of two p99s says nothing.
const noiseMs = 0.5

// compareTail holds the first reliable transport's p99 against UDP's, the
// textbook's "reliable but slow, fast but lossy" in one figure, where the
// figures are large enough to tell apart.
func compareTail(workload string, rs []results.Result) string {
	w, ok := catalog.LookupWorkload(workload)
	if !ok || w.Latency == "" {
		return ""
	}
	var udp, rel *results.Result
	for i := range rs {
		r := &rs[i]
		if r.LatencyMs == nil || r.LatencyMs.N == 0 || r.Interrupted {
			continue
		}
		switch {
		case r.Transport == catalog.UDP:
			udp = r
		case rel == nil && catalog.Reliable(r.Transport):
			rel = r
		}
	}
	if rel != nil && (rel.EmulatorBound || udp != nil && udp.EmulatorBound) {
		// Their latencies are the emulator's (see emulatorClause): a
		// ratio of them says nothing of the transports.
		return ""
	}
	if rel == nil {
		return ""
	}
	if udp == nil || udp.LatencyMs.P99 == 0 {
		return fmt.Sprintf("%s's p99 %s was %s ms", rel.Transport, w.Measures, fmtMs(rel.LatencyMs.P99))
	}
	if a, b := rel.LatencyMs.P99, udp.LatencyMs.P99; a < noiseMs && b < noiseMs {
		return fmt.Sprintf("%s's and UDP's p99 %ss (%s and %s ms) were both within this machine's noise, so neither was faster",
			rel.Transport, w.Measures, fmtMs(a), fmtMs(b))
	}
	ratio := rel.LatencyMs.P99 / udp.LatencyMs.P99
	if ratio < 1/1.05 {
		// Said the other way round: "0.0x UDP's" tells nothing.
		return fmt.Sprintf("UDP's p99 %s was %sx %s's (%s vs %s ms)", w.Measures, fmtRatio(1/ratio), rel.Transport,
			fmtMs(udp.LatencyMs.P99), fmtMs(rel.LatencyMs.P99))
	}
	return fmt.Sprintf("%s's p99 %s was %sx UDP's (%s vs %s ms)", rel.Transport, w.Measures,
		fmtRatio(ratio), fmtMs(rel.LatencyMs.P99), fmtMs(udp.LatencyMs.P99))
}

// holClause names the transports on which messages waited behind late ones.
func holClause(rs []results.Result) string {
	var parts []string
	for _, r := range rs {
		if r.HOLMs != nil && r.HOLMs.P99 > 0 {
			parts = append(parts, fmt.Sprintf("%s %s ms", r.Transport, fmtMs(r.HOLMs.P99)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "messages waited behind late ones (p99 head-of-line delay): " + strings.Join(parts, ", ")
}

func fmtRatio(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
