package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// csvColumn is one column of the CSV rendering: raw numbers in fixed
// units, for a spreadsheet or a plotting script, not formatted for eyes.
type csvColumn struct {
	head  string
	value func(rec *results.Record, r *results.Result) string
}

func csvInt(v int64) string     { return strconv.FormatInt(v, 10) }
func csvUint(v uint64) string   { return strconv.FormatUint(v, 10) }
func csvFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// csvOpt is an optional figure, blank where the row has none.
func csvOpt(v *float64) string {
	if v == nil {
		return ""
	}
	return csvFloat(*v)
}

// csvLatency reads one figure of the row's latency; blank where the
// row has none.
func csvLatency(f func(l *results.Latency) float64) func(*results.Record, *results.Result) string {
	return func(_ *results.Record, r *results.Result) string {
		if r.LatencyMs == nil {
			return ""
		}
		return csvFloat(f(r.LatencyMs))
	}
}

// modelColumn is m's prediction for a TCP bulk row: the models describe a
// TCP flow's bulk transfer, nothing else.
func modelColumn(m tcpModel) func(*results.Record, *results.Result) string {
	return func(rec *results.Record, r *results.Result) string {
		if r.Transport != catalog.TCP || r.Workload != catalog.Bulk {
			return ""
		}
		if pr, ok := m.predictFor(rec.Scenario); ok {
			return csvFloat(pr.Mbps)
		}
		return ""
	}
}

// pathCounter reads one link counter; blank where the path had none.
func pathCounter(f func(p *results.PathStats) uint64) func(*results.Record, *results.Result) string {
	return func(_ *results.Record, r *results.Result) string {
		if r.Path == nil {
			return ""
		}
		return csvUint(f(r.Path))
	}
}

var csvColumns = []csvColumn{
	{"scenario", func(rec *results.Record, _ *results.Result) string { return scenarioLabel(rec.Scenario) }},
	{"link", func(rec *results.Record, _ *results.Result) string { return rec.Scenario.Link }},
	{"sweep_param", func(rec *results.Record, _ *results.Result) string {
		if s := rec.Scenario.Sweep; s != nil {
			return s.Param
		}
		return ""
	}},
	{"sweep_value", func(rec *results.Record, _ *results.Result) string {
		if s := rec.Scenario.Sweep; s != nil {
			return csvFloat(s.Value)
		}
		return ""
	}},
	{"transport", func(_ *results.Record, r *results.Result) string { return r.Transport }},
	{"workload", func(_ *results.Record, r *results.Result) string { return r.Workload }},
	{"unit", func(_ *results.Record, r *results.Result) string { return r.Unit }},
	{"sent", func(_ *results.Record, r *results.Result) string { return csvInt(r.Sent) }},
	{"delivered", func(_ *results.Record, r *results.Result) string { return csvInt(r.Delivered) }},
	{"lost", func(_ *results.Record, r *results.Result) string { return csvInt(r.Lost) }},
	{"reordered", func(_ *results.Record, r *results.Result) string { return csvInt(r.Reordered) }},
	{"duplicates", func(_ *results.Record, r *results.Result) string { return csvInt(r.Duplicates) }},
	{"corrupt", func(_ *results.Record, r *results.Result) string { return csvInt(r.Corrupt) }},
	{"late", func(_ *results.Record, r *results.Result) string { return csvInt(r.Late) }},
	{"in_flight", func(_ *results.Record, r *results.Result) string { return csvInt(r.InFlight) }},
	{"p50_ms", csvLatency(func(l *results.Latency) float64 { return l.P50 })},
	{"p90_ms", csvLatency(func(l *results.Latency) float64 { return l.P90 })},
	{"p99_ms", csvLatency(func(l *results.Latency) float64 { return l.P99 })},
	{"p999_ms", csvLatency(func(l *results.Latency) float64 { return l.P999 })},
	{"max_ms", csvLatency(func(l *results.Latency) float64 { return l.Max })},
	{"mean_ms", csvLatency(func(l *results.Latency) float64 { return l.Mean })},
	{"samples", csvLatency(func(l *results.Latency) float64 { return float64(l.N) })},
	{"jitter_ms", func(_ *results.Record, r *results.Result) string { return csvOpt(r.JitterMs) }},
	{"hol_p99_ms", func(_ *results.Record, r *results.Result) string {
		if r.HOLMs == nil {
			return ""
		}
		return csvFloat(r.HOLMs.P99)
	}},
	{"goodput_mbit_s", func(_ *results.Record, r *results.Result) string { return csvOpt(r.GoodputMbitS) }},
	{"bytes", func(_ *results.Record, r *results.Result) string { return csvInt(r.Bytes) }},
	{"elapsed_ms", func(_ *results.Record, r *results.Result) string { return csvFloat(float64(r.Elapsed) / 1e6) }},
	{"verified", func(_ *results.Record, r *results.Result) string {
		if r.Verified == nil {
			return ""
		}
		return strconv.FormatBool(*r.Verified)
	}},
	{"limited_by", func(_ *results.Record, r *results.Result) string { return r.LimitedBy }},
	{"handshake_ms", func(_ *results.Record, r *results.Result) string { return csvFloat(r.HandshakeMs) }},
	{"link_lost_up", pathCounter(func(p *results.PathStats) uint64 { return p.Up.Lost })},
	{"link_lost_down", pathCounter(func(p *results.PathStats) uint64 { return p.Down.Lost })},
	{"queue_drops_up", pathCounter(func(p *results.PathStats) uint64 { return p.Up.QueueDrops })},
	{"queue_drops_down", pathCounter(func(p *results.PathStats) uint64 { return p.Down.QueueDrops })},
	{"tcp_retransmits", pathCounter(func(p *results.PathStats) uint64 { return p.TCPRetransmits })},
	{"tcp_spurious_retransmits", func(_ *results.Record, r *results.Result) string {
		if r.Path == nil || r.Path.TCPSpuriousRetransmits == nil {
			return ""
		}
		return strconv.FormatUint(*r.Path.TCPSpuriousRetransmits, 10)
	}},
	{"stack_drops", pathCounter(func(p *results.PathStats) uint64 { return p.StackDrops })},
	{"mathis_mbps", modelColumn(mathis)},
	{"padhye_mbps", modelColumn(padhye)},
	{"error", func(_ *results.Record, r *results.Result) string { return r.Error }},
	{"direction", func(_ *results.Record, r *results.Result) string { return r.Direction }},
	{"clock_bound_ms", func(_ *results.Record, r *results.Result) string { return csvOpt(r.ClockBoundMs) }},
}

// WriteCSV renders records as CSV (RFC 4180): a header line, then one
// line per transport and workload of every record, with the scenario (and
// the sweep's setting) on each line so that the file stands alone.
// Latencies are in milliseconds, rates in Mbit/s, times in seconds.
func WriteCSV(w io.Writer, records []results.Record) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		head[i] = c.head
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("results: csv: %w", err)
	}
	line := make([]string, len(csvColumns))
	for i := range records {
		for j := range records[i].Results {
			for k, c := range csvColumns {
				line[k] = c.value(&records[i], &records[i].Results[j])
			}
			if err := cw.Write(line); err != nil {
				return fmt.Errorf("results: csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("results: csv: %w", err)
	}
	return nil
}
