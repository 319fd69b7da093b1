package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// A Col is one column of a Table: how each format heads it, and how
// much it matters when a terminal is too narrow for every column.
type Col struct {
	// Head is the full heading, as Markdown, HTML and -wide show it.
	Head string
	// Short heads the column in a fitted terminal table; "" means Head.
	Short string
	// About says what Short stands for, in the legend under a fitted
	// table; "" where Short says it plainly.
	About string
	// Rank is the column's importance: a narrow terminal drops the
	// highest ranks first, and never a column of rank 0 (path,
	// transport).
	Rank int
	// Left aligns text to the left; numbers go right.
	Left bool
}

// short is the heading a fitted table shows.
func (c Col) short() string {
	if c.Short != "" {
		return c.Short
	}
	return c.Head
}

// column is one column of the workload tables: its heading, which
// workloads have it, and how a result fills it. A new column is one
// entry in tableColumns, at the place it takes in the tables.
type column struct {
	Col
	// in lists the workloads whose tables have the column; nil is every
	// workload.
	in    []string
	value func(r results.Result) string
	// clocked marks a figure that needs the sender's and the receiver's
	// clocks in step (a one-way delay) in the tables where it is one.
	clocked []string
}

// Workload lists for column.in.
var (
	latencyWorkloads = []string{catalog.Echo, catalog.Stream, catalog.HTTP}
	messageWorkloads = []string{catalog.Echo, catalog.Stream}
)

// latencyColumn is a figure of a result's latency distribution.
func latencyColumn(head string, rank int, in []string, f func(results.Latency) float64) column {
	return column{Col: Col{Head: head, Rank: rank}, in: in, clocked: []string{catalog.Stream}, value: func(r results.Result) string {
		if r.LatencyMs == nil {
			return "-"
		}
		return fmtMs(f(*r.LatencyMs))
	}}
}

// tableColumns are every workload table's columns after path and
// transport, in the order they show. The ranks keep, on a narrow
// terminal, what a reader learns the most from: what was lost, the
// tail, goodput; then the median and what was delivered; the path's
// counters last.
var tableColumns = []column{
	{Col: Col{Head: "sent", Rank: 4}, value: func(r results.Result) string { return count(r.Sent, r.Unit) }},
	{Col: Col{Head: "delivered", Short: "deliv", About: "delivered", Rank: 3}, value: func(r results.Result) string { return count(r.Delivered, r.Unit) }},
	{Col: Col{Head: "lost", Rank: 1}, value: lossText},
	{Col: Col{Head: "queued at end", Short: "queued", About: "still queued behind the sender at the end", Rank: 4}, in: []string{catalog.Bulk},
		value: func(r results.Result) string {
			if r.Unit != results.UnitBytes {
				return "-"
			}
			return fmtBytes(r.InFlight)
		}},
	{Col: Col{Head: "corrupt", Rank: 6}, in: messageWorkloads,
		value: func(r results.Result) string { return strconv.FormatInt(r.Corrupt, 10) }},
	{Col: Col{Head: "reord", About: "reordered (RFC 4737)", Rank: 6}, in: []string{catalog.Stream},
		value: func(r results.Result) string { return strconv.FormatInt(r.Reordered, 10) }},
	{Col: Col{Head: "dup", About: "duplicates", Rank: 6}, in: []string{catalog.Stream},
		value: func(r results.Result) string { return strconv.FormatInt(r.Duplicates, 10) }},
	{Col: Col{Head: "goodput Mbit/s", Short: "Mbit/s", About: "goodput, intact payload per second", Rank: 1}, in: []string{catalog.Bulk},
		value: func(r results.Result) string { return opt(r.GoodputMbitS, fmtRate) }},
	{Col: Col{Head: "time", Rank: 5}, in: []string{catalog.Bulk}, value: func(r results.Result) string { return fmtDur(r.Elapsed) }},
	{Col: Col{Head: "intact", Left: true, Rank: 3}, in: []string{catalog.Bulk}, value: func(r results.Result) string {
		if r.Verified == nil {
			return "-"
		}
		if *r.Verified {
			return "yes"
		}
		return "NO"
	}},
	{Col: Col{Head: "limited by", Short: "limit", About: "what held a TCP or QUIC flow back", Left: true, Rank: 2}, in: []string{catalog.Bulk},
		value: func(r results.Result) string {
			if r.LimitedBy == "" {
				return "-"
			}
			return strings.ReplaceAll(r.LimitedBy, "_", " ")
		}},
	latencyColumn("p50", 2, latencyWorkloads, func(l results.Latency) float64 { return l.P50 }),
	latencyColumn("p90", 5, []string{catalog.Echo, catalog.HTTP}, func(l results.Latency) float64 { return l.P90 }),
	latencyColumn("p99", 1, latencyWorkloads, func(l results.Latency) float64 { return l.P99 }),
	latencyColumn("p99.9", 5, []string{catalog.Echo, catalog.HTTP}, func(l results.Latency) float64 { return l.P999 }),
	latencyColumn("max", 4, latencyWorkloads, func(l results.Latency) float64 { return l.Max }),
	{Col: Col{Head: "jitter", Rank: 4}, in: []string{catalog.Stream}, value: func(r results.Result) string { return opt(r.JitterMs, fmtMs) }},
	{Col: Col{Head: "hol p99", Short: "hol99", About: "p99 head-of-line delay", Rank: 2}, in: []string{catalog.Stream},
		value: func(r results.Result) string {
			if r.HOLMs == nil {
				return "-"
			}
			return fmtMs(r.HOLMs.P99)
		}},
	{Col: Col{Head: "link drops up/down", Short: "drops", About: "packets the link dropped, up/down", Rank: 5}, value: linkText},
	{Col: Col{Head: "stack drops", Short: "stack", About: "packets a host's stack dropped", Rank: 6}, in: []string{catalog.Bulk},
		value: func(r results.Result) string {
			if r.Path == nil {
				return "-"
			}
			return strconv.FormatUint(r.Path.StackDrops, 10)
		}},
	{Col: Col{Head: "tcp retx", Short: "retx", About: "TCP segments retransmitted", Rank: 5}, in: []string{catalog.Stream, catalog.Bulk, catalog.HTTP},
		value: func(r results.Result) string {
			if r.Path == nil {
				return "-"
			}
			return strconv.FormatUint(r.Path.TCPRetransmits, 10)
		}},
}

// columns are the columns of workload's table, after path and transport.
func columns(workload string) []column {
	var out []column
	for _, c := range tableColumns {
		if c.in == nil || slices.Contains(c.in, workload) {
			out = append(out, c)
		}
	}
	return out
}

// The two columns every workload table starts with, never dropped.
var (
	pathCol      = Col{Head: "path", Left: true}
	transportCol = Col{Head: "transport", Left: true}
)

// A Table is one table of a rendering, whatever the format: a title,
// its columns, rows of cells already formatted, the errors of failed
// runs and the plain sentence that reads it. The terminal, Markdown and
// HTML renderers all draw these, so they show the same numbers.
type Table struct {
	Title string
	// Section is the part of the run the table shows: its workload's
	// name, or SweepSection for a sweep's tables across workloads.
	Section string
	Cols    []Col
	Rows    [][]string
	Errors  []string // "scenario/transport: what went wrong"
	Note    string   // the sentence after the table; may be empty
}

// Tables lays records out as tables: one per workload, with every
// scenario's rows in it so that clean and impaired paths sit side by
// side; for a sweep, then a table of the sweep's trend per transport and,
// where TCP ran bulk over a lossy path, one holding it against the Mathis
// et al. model.
func Tables(records []results.Record) []Table {
	var out []Table
	for _, workload := range workloadsOf(records) {
		var rows []row
		for _, rec := range records {
			for _, r := range rec.Results {
				if r.Workload == workload {
					rows = append(rows, row{scenarioLabel(rec.Scenario), r})
				}
			}
		}
		out = append(out, workloadTable(workload, rows))
	}
	if isSweep(records) {
		out = append(out, sweepTable(records))
		if t, ok := modelTable(records); ok {
			out = append(out, t)
		}
	}
	return out
}

// SweepSection is the Section of a sweep's tables and plots: the trend
// of every workload as the swept setting changes.
const SweepSection = "sweep"

// row is one line of a table: a result and the scenario it ran in.
type row struct {
	scenario string
	r        results.Result
}

func workloadTable(workload string, rows []row) Table {
	title := workload
	if w, ok := catalog.LookupWorkload(workload); ok {
		title = w.Title
	}
	t := Table{Title: title, Section: workload, Cols: []Col{pathCol, transportCol}}
	cols := columns(workload)
	bound := clockBound(rows)
	for _, c := range cols {
		if bound != nil && slices.Contains(c.clocked, workload) {
			// The one-way delays span two hosts' clocks: mark them.
			c.Head += "*"
			if c.Short != "" {
				c.Short += "*"
			}
		}
		t.Cols = append(t.Cols, c.Col)
	}
	for _, rw := range rows {
		line := []string{rw.scenario, transportCell(rw.r)}
		for _, c := range cols {
			line = append(line, c.value(rw.r))
		}
		t.Rows = append(t.Rows, line)
		if rw.r.Error != "" {
			t.Errors = append(t.Errors, fmt.Sprintf("%s/%s: %s", rw.scenario, rw.r.Transport, rw.r.Error))
		}
		if rw.r.Interrupted {
			var onTheirWay string
			if rw.r.InFlight > 0 && rw.r.Unit != results.UnitBytes {
				onTheirWay = fmt.Sprintf(" (%d %s still on their way, counted neither delivered nor lost)", rw.r.InFlight, rw.r.Unit)
			}
			t.Errors = append(t.Errors, fmt.Sprintf("%s/%s: interrupted after %s; its figures cover only what ran until then%s",
				rw.scenario, rw.r.Transport, fmtDur(rw.r.StoppedAt), onTheirWay))
		}
	}
	rs := make([]results.Result, len(rows))
	for i, rw := range rows {
		rs[i] = rw.r
	}
	t.Note = explain(workload, rs, func(i int) string { return rows[i].scenario + dirLabel(rows[i].r) })
	if bound != nil {
		t.Note = fmt.Sprintf("* One-way delay between two hosts: their clocks were matched over the control channel to within ±%s ms, and these figures carry that uncertainty; jitter and loss do not. %s",
			fmtMs(*bound), t.Note)
	}
	return t
}

// dirLabel names a row's direction in a sentence: "" for the default.
func dirLabel(r results.Result) string {
	if r.Direction == "" {
		return ""
	}
	return " (" + r.Direction + ")"
}

// clockBound is the largest clock uncertainty of rows whose one-way
// delays span two hosts; nil where none does.
func clockBound(rows []row) *float64 {
	var b *float64
	for _, rw := range rows {
		if v := rw.r.ClockBoundMs; v != nil && (b == nil || *v > *b) {
			b = v
		}
	}
	return b
}

// Workloads lists the workloads that ran in records, in table order.
func Workloads(records []results.Record) []string { return workloadsOf(records) }

// Transports lists the transports that ran in records, in table order.
func Transports(records []results.Record) []string { return transportsOf(records) }

// workloadsOf lists the workloads in records in the order they first appear.
func workloadsOf(records []results.Record) []string {
	return firstSeen(records, func(r *results.Result) string { return r.Workload })
}

// firstSeen lists the values of key over every result, once each, in
// the order they first appear.
func firstSeen(records []results.Record, key func(r *results.Result) string) []string {
	var out []string
	for i := range records {
		for j := range records[i].Results {
			if k := key(&records[i].Results[j]); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// scenarioLabel is the short name a table shows for a scenario.
func scenarioLabel(s results.Scenario) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Link
}

func count(n int64, unit string) string {
	if unit == results.UnitBytes {
		return fmtBytes(n)
	}
	return strconv.FormatInt(n, 10)
}

func lossText(r results.Result) string {
	if r.Sent == 0 {
		return "-"
	}
	pct := lossPct(&r)
	if r.Unit == results.UnitBytes {
		return fmtPct(pct)
	}
	return fmt.Sprintf("%d (%s)", r.Lost, fmtPct(pct))
}

func linkText(r results.Result) string {
	if r.Path == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d", r.Path.Up.Dropped(), r.Path.Down.Dropped())
}

// transportCell names a row's transport, with the way its flow went
// where the run had more than the default one ("tcp ↓" for the server
// sending), marked with a * where the emulator or the CPU bounded its
// figures (the sentence says so).
func transportCell(r results.Result) string {
	name := r.Transport
	switch r.Direction {
	case results.DirectionUp:
		name += " ↑"
	case results.DirectionDown:
		name += " ↓"
	}
	if r.EmulatorBound {
		name += "*"
	}
	return name
}

// opt formats an optional figure, "-" where the row has none.
func opt(v *float64, format func(float64) string) string {
	if v == nil {
		return "-"
	}
	return format(*v)
}

// val is an optional figure, 0 where the row has none.
func val(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// fmtMs prints milliseconds with three significant digits or so: 0.0213,
// 1.25, 81.3, 1204.
func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 0.1:
		// Three significant digits down to nanoseconds: 0.0213, 0.000150.
		return strconv.FormatFloat(v, 'f', 2-int(math.Floor(math.Log10(v))), 64)
	case v < 1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}

func fmtPct(p float64) string {
	switch {
	case p == 0:
		return "0%"
	case p < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
}

func fmtRate(mbps float64) string {
	if mbps < 10 {
		return strconv.FormatFloat(mbps, 'f', 2, 64)
	}
	return strconv.FormatFloat(mbps, 'f', 0, 64)
}

func fmtDur(d results.Ms) string {
	if d == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(d)/1e9, 'f', 2, 64) + "s"
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + suffix
}
