package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// SweepParams are the link settings a sweep can vary.
var SweepParams = []string{"loss", "delay", "jitter", "bandwidth"}

// isSweep reports whether records are the points of one sweep: points
// of several runs (a grid over other settings) do not make one curve.
func isSweep(records []results.Record) bool {
	if results.RunCount(records) > 1 {
		return false
	}
	for _, rec := range records {
		if rec.Scenario.Sweep == nil {
			return false
		}
	}
	return len(records) > 0
}

// joinedSweeps reports whether records are the points of n > 1 sweeps
// of the same setting joined in one file (a grid over other settings),
// and which setting; n is 0 otherwise.
func joinedSweeps(records []results.Record) (param string, n int) {
	n = results.RunCount(records)
	if n < 2 {
		return "", 0
	}
	for _, rec := range records {
		if rec.Scenario.Sweep == nil || (param != "" && rec.Scenario.Sweep.Param != param) {
			return "", 0
		}
		param = rec.Scenario.Sweep.Param
	}
	return param, n
}

// sweepParam is the setting records sweep ("" if they are not a sweep).
func sweepParam(records []results.Record) string {
	if !isSweep(records) {
		return ""
	}
	return records[0].Scenario.Sweep.Param
}

// axisValue is a sweep point in the unit a person reads it in: percent
// for loss, milliseconds for delay and jitter, Mbit/s for bandwidth.
func axisValue(s *results.Sweep) float64 {
	switch s.Param {
	case "loss":
		return 100 * s.Value
	case "delay", "jitter":
		return s.Value * 1e3
	case "bandwidth":
		return s.Value / 1e6
	}
	return s.Value
}

// axisLabel names the x axis of a sweep's plots.
func axisLabel(param string) string {
	switch param {
	case "loss":
		return "loss in each direction (%)"
	case "delay":
		return "one-way delay in each direction (ms)"
	case "jitter":
		return "jitter in each direction (ms)"
	case "bandwidth":
		return "rate limit in each direction (Mbit/s)"
	}
	return param
}

// find returns the result of transport in workload, or nil.
func find(rec *results.Record, workload, transport string) *results.Result {
	for i := range rec.Results {
		r := &rec.Results[i]
		if r.Workload == workload && r.Transport == transport {
			return r
		}
	}
	return nil
}

// transportsOf lists the transports in records in the order they first
// appear, which is the order the harness sorts them in.
func transportsOf(records []results.Record) []string {
	return firstSeen(records, func(r *results.Result) string { return r.Transport })
}

// p99 is a run's p99 latency, if it measured any.
func p99(r *results.Result) (float64, bool) {
	if r == nil || r.LatencyMs == nil || r.LatencyMs.N == 0 {
		return 0, false
	}
	return r.LatencyMs.P99, true
}

// deliveredShare is the share of messages that arrived, in percent; ok
// is false for a run that sent nothing.
func deliveredShare(r *results.Result) (float64, bool) {
	if r == nil || r.Sent == 0 {
		return 0, false
	}
	return 100 * float64(r.Delivered) / float64(r.Sent), true
}

// sweepMetric is one figure a sweep follows per transport: a column of
// the sweep table and, for most, a plot against the swept setting.
type sweepMetric struct {
	workload string
	col      Col    // table column
	name     string // plot file name
	title    string // plot title
	ylabel   string
	value    func(r *results.Result) (float64, bool)
	format   func(float64) string
	// phrase names the figure in the sweep's sentence, and unit follows
	// its numbers there ("" for a share, which its format marks).
	phrase, unit string
}

var sweepMetrics = []sweepMetric{
	{
		workload: catalog.Stream, name: "sweep-delivered",
		col:   Col{Head: "stream delivered", Short: "stream%", About: "stream messages delivered", Rank: 1},
		title: "Stream messages delivered", ylabel: "delivered (%)",
		value: deliveredShare, format: fmtShare,
		phrase: "stream delivery",
	},
	{
		workload: catalog.Stream, name: "sweep-p99-delay",
		col:   Col{Head: "stream p99 ms", Short: "stream p99", Rank: 1},
		title: "p99 one-way delay of stream messages", ylabel: "p99 one-way delay (ms)",
		value: p99, format: fmtMs,
		phrase: "p99 one-way delay", unit: " ms",
	},
	{
		workload: catalog.Echo, col: Col{Head: "echo p99 ms", Short: "echo p99", Rank: 2}, value: p99, format: fmtMs,
		phrase: "p99 round trip", unit: " ms",
	},
	{
		workload: catalog.Bulk, name: "sweep-goodput",
		col:   Col{Head: "goodput Mbit/s", Short: "Mbit/s", About: "bulk goodput", Rank: 1},
		title: "Bulk goodput", ylabel: "goodput (Mbit/s)",
		value: func(r *results.Result) (float64, bool) {
			if r == nil || r.GoodputMbitS == nil {
				return 0, false
			}
			return *r.GoodputMbitS, true
		},
		format: fmtRate,
		phrase: "bulk goodput", unit: " Mbit/s",
	},
}

// metricsOf are the sweep metrics whose workload ran in records.
func metricsOf(records []results.Record) []sweepMetric {
	ws := workloadsOf(records)
	var out []sweepMetric
	for _, m := range sweepMetrics {
		if slices.Contains(ws, m.workload) {
			out = append(out, m)
		}
	}
	return out
}

// sweepTable follows each transport down the sweep: one row per
// transport and setting, the sweep's figures side by side.
func sweepTable(records []results.Record) Table {
	param := sweepParam(records)
	ms := metricsOf(records)
	t := Table{
		Title:   fmt.Sprintf("sweep: what each transport gave as %s changed", param),
		Section: SweepSection,
		Cols:    []Col{transportCol, {Head: param, Left: true}},
	}
	for _, m := range ms {
		t.Cols = append(t.Cols, m.col)
	}
	for _, tr := range transportsOf(records) {
		for i := range records {
			line := []string{tr, records[i].Scenario.Sweep.Text}
			for _, m := range ms {
				cell := "-"
				if v, ok := m.value(find(&records[i], m.workload, tr)); ok {
					cell = m.format(v)
				}
				line = append(line, cell)
			}
			t.Rows = append(t.Rows, line)
		}
	}
	t.Note = explainSweep(records)
	return t
}

// explainSweep says in one sentence how each transport's figures moved
// from the first point of a sweep to the last.
func explainSweep(records []results.Record) string {
	if !isSweep(records) || len(records) < 2 {
		return ""
	}
	first, last := &records[0], &records[len(records)-1]
	var clauses []string
	for _, tr := range transportsOf(records) {
		var parts []string
		for _, m := range metricsOf(records) {
			a, okA := m.value(find(first, m.workload, tr))
			b, okB := m.value(find(last, m.workload, tr))
			if !okA || !okB {
				continue
			}
			if m.format(a) == m.format(b) {
				parts = append(parts, fmt.Sprintf("%s stayed at %s%s", m.phrase, m.format(a), m.unit))
			} else {
				parts = append(parts, fmt.Sprintf("%s went from %s to %s%s", m.phrase, m.format(a), m.format(b), m.unit))
			}
		}
		if len(parts) > 0 {
			clauses = append(clauses, tr+": "+strings.Join(parts, ", "))
		}
	}
	if len(clauses) == 0 {
		return ""
	}
	return fmt.Sprintf("As %s went from %s to %s, %s.", first.Scenario.Sweep.Param,
		first.Scenario.Sweep.Text, last.Scenario.Sweep.Text, strings.Join(clauses, "; "))
}

// tcpHeaders are the IPv4 and TCP headers that an MTU-sized packet
// carries besides its payload (no options: a lower bound on overhead).
const tcpHeaders = 40

// MathisModel is a model's prediction of one Reno flow's bulk goodput
// over a scenario's link, with the link figures it took.
type MathisModel struct {
	MSS  int           // bytes: the link's MTU less 40 bytes of headers
	RTT  time.Duration // the link's base round trip (both one-way delays)
	Loss float64       // p: the loss rate the data direction sets
	Mbps float64       // the prediction
}

// tcpModel is a model of a Reno flow's goodput: its name, its formula in
// a line, and its prediction in Mbit/s for an MSS, a round trip and a
// loss rate.
type tcpModel struct {
	name, formula string
	predict       func(mss int, rtt time.Duration, p float64) float64
}

// mathis is Mathis, Semke, Mahdavi and Ott ("The Macroscopic Behavior of
// the TCP Congestion Avoidance Algorithm", CCR 1997): congestion
// avoidance alone, every loss repaired by fast retransmit. It holds for
// small p; past a few percent, timeouts dominate and it predicts far too
// much.
var mathis = tcpModel{
	name:    "Mathis et al. (1997)",
	formula: "MSS/RTT x sqrt(3/2)/sqrt(p)",
	predict: func(mss int, rtt time.Duration, p float64) float64 {
		return float64(mss) * 8 / rtt.Seconds() * math.Sqrt(1.5) / math.Sqrt(p) / 1e6
	},
}

// padhye is Padhye, Firoiu, Towsley and Kurose ("Modeling TCP
// Throughput: A Simple Model and its Empirical Validation", SIGCOMM
// 1998), its approximation (eq. 31) without the receiver's window: it
// adds the retransmission timeouts that repeated losses cause, which
// Mathis leaves out. b = 2 packets per ACK (delayed ACKs), and T0, the
// first timeout, is max(200 ms, 2 RTT): Linux's and gVisor's minimum RTO,
// or twice a long round trip.
var padhye = tcpModel{
	name:    "Padhye et al. (1998)",
	formula: "1/(RTT sqrt(2bp/3) + T0 min(1, 3 sqrt(3bp/8)) p (1+32p^2)) packets/s",
	predict: func(mss int, rtt time.Duration, p float64) float64 {
		const b = 2
		t0 := max(200*time.Millisecond, 2*rtt).Seconds()
		perSecond := 1 / (rtt.Seconds()*math.Sqrt(2*b*p/3) + t0*min(1, 3*math.Sqrt(3*b*p/8))*p*(1+32*p*p))
		return perSecond * float64(mss) * 8 / 1e6
	},
}

// tcpModels are the models tables and plots hold TCP's goodput against.
var tcpModels = []tcpModel{mathis, padhye}

// predict is model m's prediction for a scenario's link; ok is false
// where it has none (no loss, no delay, or no link recorded). Models take
// p as the rate of loss events: with Gilbert-Elliott bursts, several
// losses may be one event, and TCP does better than they say.
func (m tcpModel) predictFor(sc results.Scenario) (pr MathisModel, ok bool) {
	rtt, ok := sc.RTT()
	if !ok {
		return pr, false
	}
	// The data goes up from the client, or down in a run of downloads.
	data, _ := sc.DataLinks(sc.Direction)
	pr = MathisModel{
		MSS:  data.Config().WithDefaults().MTU - tcpHeaders,
		RTT:  rtt,
		Loss: data.Loss,
	}
	if pr.Loss <= 0 || pr.RTT <= 0 {
		return pr, false
	}
	pr.Mbps = m.predict(pr.MSS, pr.RTT, pr.Loss)
	return pr, true
}

// Mathis returns the Mathis et al. prediction for a scenario's link.
func Mathis(sc results.Scenario) (MathisModel, bool) { return mathis.predictFor(sc) }

// Padhye returns the Padhye et al. prediction for a scenario's link.
func Padhye(sc results.Scenario) (MathisModel, bool) { return padhye.predictFor(sc) }

// modelPoint is TCP's measured bulk goodput at one scenario next to each
// model's prediction.
type modelPoint struct {
	Scenario string
	Models   []MathisModel // one per tcpModels entry
	Measured float64       // Mbit/s
	Retx     uint64        // TCP segments retransmitted during the run
}

// modelPoints lists TCP's bulk runs that the models have a prediction for.
func modelPoints(records []results.Record) []modelPoint {
	var out []modelPoint
	for i := range records {
		r := find(&records[i], catalog.Bulk, catalog.TCP)
		if r == nil || r.GoodputMbitS == nil {
			continue
		}
		p := modelPoint{Scenario: scenarioLabel(records[i].Scenario), Measured: *r.GoodputMbitS}
		for _, m := range tcpModels {
			pr, ok := m.predictFor(records[i].Scenario)
			if !ok {
				break
			}
			p.Models = append(p.Models, pr)
		}
		if len(p.Models) != len(tcpModels) {
			continue
		}
		if r.Path != nil {
			p.Retx = r.Path.TCPRetransmits
		}
		out = append(out, p)
	}
	return out
}

// modelTable holds TCP's bulk goodput against the models, point by point.
func modelTable(records []results.Record) (Table, bool) {
	pts := modelPoints(records)
	if len(pts) == 0 {
		return Table{}, false
	}
	t := Table{
		Title:   "tcp bulk against the models: Mathis et al. (1997) " + mathis.formula + "; Padhye et al. (1998), with timeouts",
		Section: SweepSection,
		Cols: []Col{pathCol, {Head: "loss p", Rank: 1}, {Head: "RTT ms", Rank: 2}, {Head: "MSS", Rank: 4},
			{Head: "tcp Mbit/s", Rank: 1},
			{Head: "Mathis Mbit/s", Short: "Mathis", About: "Mathis et al.'s Mbit/s", Rank: 1},
			{Head: "ratio", Short: "/M", About: "tcp over Mathis", Rank: 1},
			{Head: "Padhye Mbit/s", Short: "Padhye", About: "Padhye et al.'s Mbit/s", Rank: 1},
			{Head: "ratio", Short: "/P", About: "tcp over Padhye", Rank: 1},
			{Head: "tcp retx", Short: "retx", About: "TCP segments retransmitted", Rank: 3}},
	}
	lo := make([]float64, len(tcpModels))
	hi := make([]float64, len(tcpModels))
	for k := range tcpModels {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for _, p := range pts {
		m0 := p.Models[0]
		row := []string{p.Scenario, fmtPct(100 * m0.Loss), fmtMs(float64(m0.RTT) / 1e6), fmt.Sprint(m0.MSS), fmtRate(p.Measured)}
		for k, pr := range p.Models {
			ratio := p.Measured / pr.Mbps
			lo[k], hi[k] = min(lo[k], ratio), max(hi[k], ratio)
			row = append(row, fmtRate(pr.Mbps), fmtRatio2(ratio))
		}
		t.Rows = append(t.Rows, append(row, fmt.Sprint(p.Retx)))
	}
	var parts []string
	for k, m := range tcpModels {
		parts = append(parts, fmt.Sprintf("%sx to %sx what %s predicts", fmtRatio2(lo[k]), fmtRatio2(hi[k]), m.name))
	}
	note := "TCP's measured goodput was " + joinNames(parts)
	if cc := records[0].Scenario.CongestionControl; cc != "" && cc != "reno" {
		note += fmt.Sprintf(" (the stacks ran %s; the models describe Reno)", cc)
	}
	t.Note = note + ". Mathis et al. leave out timeouts and overestimate past a few percent of loss; Padhye et al. count them."
	return t, true
}

// fmtShare prints a delivered share with one decimal, as the points of a
// sweep differ by fractions of a percent: 98.3%, 100%.
func fmtShare(pct float64) string {
	if pct == 100 {
		return "100%"
	}
	return strconv.FormatFloat(pct, 'f', 1, 64) + "%"
}

func fmtRatio2(x float64) string {
	if x >= 10 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}
