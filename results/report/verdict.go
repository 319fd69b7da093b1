package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// verdictHead introduces the verdict: what its figures are.
const verdictHead = "In short (per transport: share delivered and p99 latency in ms; bulk: goodput)"

// WriteVerdict writes the verdict alone: the lines Write puts before
// the tables.
func (t Terminal) WriteVerdict(w io.Writer, records []results.Record) error {
	var b strings.Builder
	t.writeVerdict(&b, records)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeVerdict writes what a person reads first, before any table: for
// each workload and path, what each transport gave (its delivered share
// and tail, or its goodput) and the trade-off in one sentence. A sweep
// gets a line per workload, from its first point to its last.
func (t Terminal) writeVerdict(b *strings.Builder, records []results.Record) {
	if len(records) == 0 {
		return
	}
	writeWrapped(b, t.bold(verdictHead), textLen(verdictHead), t.width(), "")
	if isSweep(records) && len(records) > 1 {
		t.writeSweepVerdict(b, records)
		return
	}
	labelW := 0
	for _, rec := range records {
		labelW = max(labelW, textLen(scenarioLabel(rec.Scenario)))
	}
	wlW := 0
	for _, w := range workloadsOf(records) {
		wlW = max(wlW, textLen(w))
	}
	for _, w := range workloadsOf(records) {
		for i := range records {
			rs := resultsOf(&records[i], w)
			if len(rs) == 0 {
				continue
			}
			label := pad(scenarioLabel(records[i].Scenario), labelW, true) + colGap + pad(w, wlW, true) + colGap
			t.writeVerdictLines(b, label, t.figures(w, rs), tradeOff(w, rs))
		}
	}
}

// writeSweepVerdict follows each transport from a sweep's first point to
// its last, a line per workload, and reads the last point in a sentence.
func (t Terminal) writeSweepVerdict(b *strings.Builder, records []results.Record) {
	first, last := &records[0], &records[len(records)-1]
	span := fmt.Sprintf("%s %s→%s", first.Scenario.Sweep.Param, first.Scenario.Sweep.Text, last.Scenario.Sweep.Text)
	wlW := 0
	for _, w := range workloadsOf(records) {
		wlW = max(wlW, textLen(w))
	}
	for _, w := range workloadsOf(records) {
		var segs []segment
		for _, tr := range transportsOf(records) {
			a, z := find(first, w, tr), find(last, w, tr)
			if a == nil || z == nil {
				continue
			}
			segs = append(segs, t.sweepFigure(w, a, z))
		}
		if len(segs) == 0 {
			continue
		}
		label := pad(w, wlW, true) + colGap + span + colGap
		sentence := tradeOff(w, resultsOf(last, w))
		if sentence != "" {
			sentence = "At " + last.Scenario.Sweep.Text + ": " + sentence
		}
		t.writeVerdictLines(b, label, segs, sentence)
	}
}

// writeVerdictLines writes a verdict entry: label, then the figures,
// wrapped between transports under the first, then the sentence below
// them. Where the sentence says all there is (one transport, or every
// transport whole with its tail in the sentence), the figures are left
// out and the sentence follows the label.
func (t Terminal) writeVerdictLines(b *strings.Builder, label string, segs []segment, sentence string) {
	width := t.width()
	indent := strings.Repeat(" ", textLen(label))
	if len(segs) <= 1 || strings.HasPrefix(sentence, allWhole) {
		for _, l := range wrap(label, sentence, width, indent) {
			b.WriteString(l + "\n")
		}
		return
	}
	line, n := label, textLen(label)
	for i, s := range segs {
		sep, sepLen := " · ", 3
		if i == 0 {
			sep, sepLen = "", 0
		}
		if i > 0 && n+sepLen+textLen(s.plain) > width {
			b.WriteString(line + "\n")
			line, n, sep, sepLen = indent, len(indent), "", 0
		}
		line += sep + s.text
		n += sepLen + textLen(s.plain)
	}
	b.WriteString(line + "\n")
	if sentence != "" {
		for _, l := range wrap(indent, sentence, width, indent) {
			b.WriteString(l + "\n")
		}
	}
}

// segment is a transport's figures in the verdict: as printed (maybe
// coloured) and as plain text, whose length is what it takes.
type segment struct{ text, plain string }

func (t Terminal) segment(parts ...[2]string) segment {
	var s segment
	for i, p := range parts {
		if i > 0 {
			s.text += " "
			s.plain += " "
		}
		s.text += t.style(p[1], p[0])
		s.plain += p[0]
	}
	return s
}

// figures are each transport's figures on one path: its delivered share
// and p99, or for bulk its goodput and loss; a failed or interrupted run
// says so instead.
func (t Terminal) figures(workload string, rs []results.Result) []segment {
	var out []segment
	for i := range rs {
		r := &rs[i]
		name := [2]string{r.Transport, ""}
		switch {
		case failed(r):
			out = append(out, t.segment(name, [2]string{"failed", ansiRed}))
		case r.Interrupted:
			out = append(out, t.segment(name, [2]string{"cut short", ansiYellow}))
		case workload == catalog.Bulk:
			parts := [][2]string{name, {fmtRate(val(r.GoodputMbitS)) + " Mbit/s", ""}}
			if r.Lost > 0 && r.Sent > 0 {
				parts = append(parts, [2]string{"lost " + fmtPct(lossPct(r)), ansiYellow})
			}
			if r.Verified != nil && !*r.Verified {
				parts = append(parts, [2]string{"damaged", ansiRed})
			}
			out = append(out, t.segment(parts...))
		default:
			share, _ := deliveredShare(r)
			parts := [][2]string{name, {fmtShare(share), shareColour(share)}}
			if v, ok := p99(r); ok {
				parts = append(parts, [2]string{fmtMs(v), ""})
			}
			if r.Corrupt > 0 {
				parts = append(parts, [2]string{fmt.Sprintf("%d corrupt", r.Corrupt), ansiRed})
			}
			out = append(out, t.segment(parts...))
		}
	}
	return out
}

// sweepFigure is a transport's figures at a sweep's first and last point.
func (t Terminal) sweepFigure(workload string, a, z *results.Result) segment {
	name := [2]string{a.Transport, ""}
	if failed(z) || z.Interrupted {
		return t.segment(name, [2]string{"did not complete at the end", ansiRed})
	}
	if workload == catalog.Bulk {
		return t.segment(name, [2]string{fmtRate(val(a.GoodputMbitS)) + "→" + fmtRate(val(z.GoodputMbitS)) + " Mbit/s", ""})
	}
	sa, _ := deliveredShare(a)
	sz, _ := deliveredShare(z)
	share := [2]string{fmtShare(sz), shareColour(sz)}
	if fmtShare(sa) != fmtShare(sz) {
		share[0] = fmtShare(sa) + "→" + fmtShare(sz)
	}
	parts := [][2]string{name, share}
	pa, okA := p99(a)
	pz, okZ := p99(z)
	if okA && okZ {
		parts = append(parts, [2]string{fmtMs(pa) + "→" + fmtMs(pz), ""})
	}
	return t.segment(parts...)
}

func shareColour(pct float64) string {
	switch {
	case pct >= 100:
		return ansiGreen
	case pct >= 90:
		return ansiYellow
	}
	return ansiRed
}

// allWhole starts the sentence of a path where every transport
// delivered everything: it holds the figures itself.
const allWhole = "No trade-off here: "

// tradeOff says in one sentence what choosing among the transports cost
// on one path: for the latency workloads, what the reliable ones paid in
// the tail for what the others lost; for bulk, the goodput each kind got.
func tradeOff(workload string, rs []results.Result) string {
	var ok, broken []string
	var good []results.Result
	for _, r := range rs {
		switch {
		case failed(&r):
			broken = append(broken, r.Transport+" failed")
		case r.Interrupted:
			broken = append(broken, r.Transport+" was cut short")
		default:
			good = append(good, r)
			ok = append(ok, r.Transport)
		}
	}
	// "Every transport" speaks of those that completed: with one that
	// failed, they are named.
	everyone := "every transport"
	if len(broken) > 0 {
		everyone = joinNames(ok)
	}
	var s string
	if workload == catalog.Bulk {
		s = bulkTradeOff(good)
	} else {
		s = latencyTradeOff(workload, good, everyone)
	}
	if len(broken) > 0 {
		tail := joinNames(broken) + " (see the errors below)"
		if s == "" {
			return tail + "."
		}
		s = strings.TrimSuffix(s, ".") + "; " + tail + "."
	}
	return s
}

// latencyTradeOff reads the delivered shares and tails of the runs that
// completed on one path.
func latencyTradeOff(workload string, rs []results.Result, everyone string) string {
	if len(rs) == 0 {
		return ""
	}
	verb := wholeVerb(workload)
	var whole, lossy []*results.Result
	for i := range rs {
		if rs[i].Lost == 0 && rs[i].Corrupt == 0 {
			whole = append(whole, &rs[i])
		} else {
			lossy = append(lossy, &rs[i])
		}
	}
	if len(rs) == 1 {
		r := &rs[0]
		s := fmt.Sprintf("%s %s", r.Transport, verb)
		if len(lossy) == 1 {
			s = fmt.Sprintf("%s lost %s", r.Transport, fmtPct(lossPct(r)))
		}
		if v, ok := p99(r); ok {
			s += fmt.Sprintf("; p99 %s ms", fmtMs(v))
		}
		return s + "."
	}
	switch {
	case len(lossy) == 0:
		lo, hi := extremes(whole, p99)
		if lo == nil {
			return allWhole + everyone + " " + verb + "."
		}
		a, _ := p99(lo)
		z, _ := p99(hi)
		if z < noiseMs {
			return fmt.Sprintf("%s%s %s, p99 %s to %s ms, all within this machine's noise.", allWhole, everyone, verb, fmtMs(a), fmtMs(z))
		}
		return fmt.Sprintf("%s%s %s; p99 from %s ms (%s) to %s ms (%s).", allWhole, everyone, verb, fmtMs(a), lo.Transport, fmtMs(z), hi.Transport)
	case len(whole) == 0:
		_, worst := extremes(lossy, lossShare)
		return fmt.Sprintf("%s lost some: up to %s (%s).", everyone, fmtPct(lossPct(worst)), worst.Transport)
	}
	_, worst := extremes(lossy, lossShare)
	lost := fmt.Sprintf("%s lost up to %s", joinNames(transportNames(lossy)), fmtPct(lossPct(worst)))
	if len(lossy) == 1 {
		lost = fmt.Sprintf("%s lost %s", lossy[0].Transport, fmtPct(lossPct(worst)))
	}
	_, slowWhole := extremes(whole, p99)
	fastLossy, _ := extremes(lossy, p99)
	if slowWhole == nil || fastLossy == nil {
		return fmt.Sprintf("%s %s; %s.", joinNames(transportNames(whole)), verb, lost)
	}
	w, _ := p99(slowWhole)
	l, _ := p99(fastLossy)
	if w >= noiseMs && w > 1.2*l {
		return fmt.Sprintf("%s %s but paid in the tail (p99 up to %sx %s's); %s.",
			joinNames(transportNames(whole)), verb, fmtRatio(w/l), fastLossy.Transport, lost)
	}
	return fmt.Sprintf("%s %s at little cost in the tail (p99 within 1.2x of %s's); %s.",
		joinNames(transportNames(whole)), verb, fastLossy.Transport, lost)
}

// bulkTradeOff reads the goodput of the bulk runs that completed on one
// path: what the reliable transports carried without loss, what the
// others lost.
func bulkTradeOff(rs []results.Result) string {
	if len(rs) == 0 {
		return ""
	}
	var rel, lossy []*results.Result
	for i := range rs {
		r := &rs[i]
		if catalog.Reliable(r.Transport) {
			rel = append(rel, r)
		} else if r.Lost > 0 {
			lossy = append(lossy, r)
		}
	}
	goodput := func(r *results.Result) (float64, bool) { return val(r.GoodputMbitS), r.GoodputMbitS != nil }
	if len(lossy) == 0 || len(rel) == 0 {
		all := make([]*results.Result, len(rs))
		for i := range rs {
			all[i] = &rs[i]
		}
		lo, hi := extremes(all, goodput)
		if hi == nil {
			return ""
		}
		what := "Nothing lost"
		if len(lossy) > 0 {
			_, worst := extremes(lossy, lossShare)
			what = fmt.Sprintf("%s lost up to %s", joinNames(transportNames(lossy)), fmtPct(lossPct(worst)))
		}
		if lo == hi {
			return fmt.Sprintf("%s; %s carried %s Mbit/s.", what, hi.Transport, fmtRate(val(hi.GoodputMbitS)))
		}
		return fmt.Sprintf("%s; %s carried the most (%s Mbit/s), %s the least (%s).", what,
			hi.Transport, fmtRate(val(hi.GoodputMbitS)), lo.Transport, fmtRate(val(lo.GoodputMbitS)))
	}
	lo, hi := extremes(rel, goodput)
	span := fmtRate(val(hi.GoodputMbitS))
	if lo != hi {
		span = fmtRate(val(lo.GoodputMbitS)) + " to " + span
	}
	_, worst := extremes(lossy, lossShare)
	s := fmt.Sprintf("%s lost nothing at %s Mbit/s; %s lost up to %s", joinNames(transportNames(rel)), span,
		joinNames(transportNames(lossy)), fmtPct(lossPct(worst)))
	if _, fast := extremes(lossy, goodput); fast != nil && val(fast.GoodputMbitS) > 2*val(hi.GoodputMbitS) {
		// The textbook's "UDP is faster": it does not slow down for loss.
		s += fmt.Sprintf("; %s carried %sx more by keeping its set rate whatever it lost",
			fast.Transport, fmtRatio(val(fast.GoodputMbitS)/val(hi.GoodputMbitS)))
	}
	return s + "."
}

// wholeVerb says that a transport delivered everything, in the words of
// the workload.
func wholeVerb(workload string) string {
	switch workload {
	case catalog.Echo:
		return "answered every probe"
	case catalog.HTTP:
		return "answered every request"
	}
	return "delivered every message"
}

// extremes finds the results with the smallest and largest figure, of
// those that have one; nil when none does.
func extremes(rs []*results.Result, figure func(*results.Result) (float64, bool)) (lo, hi *results.Result) {
	var a, z float64
	for _, r := range rs {
		v, ok := figure(r)
		if !ok {
			continue
		}
		if lo == nil || v < a {
			lo, a = r, v
		}
		if hi == nil || v > z {
			hi, z = r, v
		}
	}
	return lo, hi
}

// resultsOf lists a record's results of one workload, in table order.
func resultsOf(rec *results.Record, workload string) []results.Result {
	var out []results.Result
	for _, r := range rec.Results {
		if r.Workload == workload {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b results.Result) int {
		return catalog.TransportIndex(a.Transport) - catalog.TransportIndex(b.Transport)
	})
	return out
}

func transportNames(rs []*results.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Transport
	}
	return out
}

// failed reports a run that did not complete: it has an error and sent
// nothing worth reading.
func failed(r *results.Result) bool { return r.Error != "" && r.Sent == 0 }

// lossPct is the share of what was sent that was lost, in percent, of
// what had an outcome: what an interrupted run left in flight had none.
func lossPct(r *results.Result) float64 {
	settled := r.Sent - r.InFlight
	if settled <= 0 {
		return 0
	}
	return 100 * float64(r.Lost) / float64(settled)
}

func lossShare(r *results.Result) (float64, bool) { return lossPct(r), r.Sent-r.InFlight > 0 }
