package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"netmatrix/harness/catalog"
	"netmatrix/results"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// column is one column of a workload's table.
type column struct {
	head  string
	left  bool // text, not a number
	value func(r results.Result) string
	// clocked marks a figure that needs the sender's and the receiver's
	// clocks in step: a one-way delay.
	clocked bool
}

// row is one line of a table: a result and the scenario it ran in.
type row struct {
	scenario string
	r        results.Result
}

func columns(workload string) []column {
	lat := func(name string, f func(results.Latency) float64) column {
		return column{head: name, value: func(r results.Result) string {
			if r.LatencyMs == nil {
				return "-"
			}
			return fmtMs(f(*r.LatencyMs))
		}}
	}
	p50 := lat("p50", func(l results.Latency) float64 { return l.P50 })
	p90 := lat("p90", func(l results.Latency) float64 { return l.P90 })
	p99 := lat("p99", func(l results.Latency) float64 { return l.P99 })
	p999 := lat("p99.9", func(l results.Latency) float64 { return l.P999 })
	mx := lat("max", func(l results.Latency) float64 { return l.Max })
	sent := column{head: "sent", value: func(r results.Result) string { return count(r.Sent, r.Unit) }}
	deliv := column{head: "delivered", value: func(r results.Result) string { return count(r.Delivered, r.Unit) }}
	lost := column{head: "lost", value: func(r results.Result) string { return lossText(r) }}
	reord := column{head: "reord", value: func(r results.Result) string { return strconv.FormatInt(r.Reordered, 10) }}
	dup := column{head: "dup", value: func(r results.Result) string { return strconv.FormatInt(r.Duplicates, 10) }}
	corrupt := column{head: "corrupt", value: func(r results.Result) string { return strconv.FormatInt(r.Corrupt, 10) }}
	link := column{head: "link drops up/down", value: linkText}
	retx := column{head: "tcp retx", value: func(r results.Result) string {
		if r.Path == nil {
			return "-"
		}
		return strconv.FormatUint(r.Path.TCPRetransmits, 10)
	}}
	switch workload {
	case catalog.Echo:
		return []column{sent, deliv, lost, corrupt, p50, p90, p99, p999, mx, link}
	case catalog.Stream:
		jit := column{head: "jitter", value: func(r results.Result) string { return opt(r.JitterMs, fmtMs) }}
		hol := column{head: "hol p99", value: func(r results.Result) string {
			if r.HOLMs == nil {
				return "-"
			}
			return fmtMs(r.HOLMs.P99)
		}}
		p50.clocked, p99.clocked, mx.clocked = true, true, true
		return []column{sent, deliv, lost, corrupt, reord, dup, p50, p99, mx, jit, hol, link, retx}
	case catalog.Bulk:
		gp := column{head: "goodput Mbit/s", value: func(r results.Result) string { return opt(r.GoodputMbitS, fmtRate) }}
		el := column{head: "time", value: func(r results.Result) string { return fmtDur(r.Elapsed) }}
		ver := column{head: "intact", left: true, value: func(r results.Result) string {
			if r.Verified == nil {
				return "-"
			}
			if *r.Verified {
				return "yes"
			}
			return "NO"
		}}
		queued := column{head: "queued at end", value: func(r results.Result) string {
			if r.Unit != "bytes" {
				return "-"
			}
			return fmtBytes(r.InFlight)
		}}
		stack := column{head: "stack drops", value: func(r results.Result) string {
			if r.Path == nil {
				return "-"
			}
			return strconv.FormatUint(r.Path.StackDrops, 10)
		}}
		return []column{sent, deliv, lost, queued, gp, el, ver, link, stack, retx}
	default:
		return []column{sent, deliv, lost, p50, p90, p99, p999, mx, link, retx}
	}
}

// A Table is one table of a rendering, whatever the format: a title, a
// header, rows of cells already formatted, the errors of failed runs and
// the plain sentence that reads it. The terminal, Markdown and HTML
// renderers all draw these, so they show the same numbers.
type Table struct {
	Title  string
	Head   []string
	Left   []bool // per column: text, aligned left; numbers go right
	Rows   [][]string
	Errors []string // "scenario/transport: what went wrong"
	Note   string   // the sentence after the table; may be empty
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
		if t, ok := mathisTable(records); ok {
			out = append(out, t)
		}
	}
	return out
}

// WriteTable renders records as terminal tables (see Tables), each
// followed by a sentence that says what it shows.
func WriteTable(w io.Writer, records []results.Record) error {
	for _, t := range Tables(records) {
		if err := writeTerminal(w, t); err != nil {
			return err
		}
	}
	return nil
}

func workloadTable(workload string, rows []row) Table {
	title := workload
	if w, ok := catalog.LookupWorkload(workload); ok {
		title = w.Title
	}
	t := Table{Title: title, Head: []string{"path", "transport"}, Left: []bool{true, true}}
	cols := columns(workload)
	for _, c := range cols {
		t.Head = append(t.Head, c.head)
		t.Left = append(t.Left, c.left)
	}
	bound := clockBound(rows)
	if bound != nil {
		// The one-way delays span two hosts' clocks: mark them.
		for i, c := range cols {
			if c.clocked {
				t.Head[i+2] += "*"
			}
		}
	}
	for _, rw := range rows {
		line := []string{rw.scenario, rowName(rw.r)}
		for _, c := range cols {
			line = append(line, c.value(rw.r))
		}
		t.Rows = append(t.Rows, line)
		if rw.r.Error != "" {
			t.Errors = append(t.Errors, fmt.Sprintf("%s/%s: %s", rw.scenario, rw.r.Transport, rw.r.Error))
		}
		if rw.r.Interrupted {
			t.Errors = append(t.Errors, fmt.Sprintf("%s/%s: interrupted after %s; its figures cover only what ran until then",
				rw.scenario, rw.r.Transport, fmtDur(rw.r.StoppedAt)))
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

// rowName is a row's transport, with the way its flow went where the
// run had more than the default one: "tcp ↓" for the server sending.
func rowName(r results.Result) string {
	switch r.Direction {
	case "up":
		return r.Transport + " ↑"
	case "down":
		return r.Transport + " ↓"
	}
	return r.Transport
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

func writeTerminal(w io.Writer, t Table) error {
	if _, err := fmt.Fprintf(w, "\n%s\n", t.Title); err != nil {
		return err
	}
	align := make([]tw.Align, len(t.Left))
	for i, left := range t.Left {
		align[i] = tw.AlignRight
		if left {
			align[i] = tw.AlignLeft
		}
	}
	tt := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	tt.Header(t.Head)
	for _, line := range t.Rows {
		if err := tt.Append(line); err != nil {
			return err
		}
	}
	if err := tt.Render(); err != nil {
		return err
	}
	for _, e := range t.Errors {
		if _, err := fmt.Fprintf(w, "error: %s\n", e); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, t.Note)
	return err
}

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
	if unit == "bytes" {
		return fmtBytes(n)
	}
	return strconv.FormatInt(n, 10)
}

func lossText(r results.Result) string {
	if r.Sent == 0 {
		return "-"
	}
	pct := 100 * float64(r.Lost) / float64(r.Sent)
	if r.Unit == "bytes" {
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
