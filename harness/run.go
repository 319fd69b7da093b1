package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// Scenario is one path setting to run the workloads over.
type Scenario struct {
	// Record describes the scenario in the results (name, link, impairment).
	Record results.Scenario
	// NewPath opens a fresh path for one run. Every transport and
	// workload gets its own, with the same settings and seed, so each
	// meets the same link and none shares it with another.
	// use says what the run is, which a path may tune itself to.
	NewPath func(ctx context.Context, use netpath.Use) (netpath.Path, error)
	// Concurrent lets the paced and latency runs (stream, echo, http;
	// see catalog.Phase) go side by side, each on its own path. Worth it
	// where the link's delay dwarfs what sharing the CPU adds
	// (milliseconds against microseconds); on a fast path they run one
	// transport at a time: five clean-path streams side by side had p99
	// delays up to 2.9 times those of the same streams alone (0.67
	// against 0.23 ms for QUIC).
	Concurrent bool
	// BulkRate is the UDP bulk rate in payload bits per second when
	// Config.BulkRate leaves it to the scenario: a link's own rate limit,
	// say. Zero means unlimited.
	BulkRate int64
}

// Progress hears about each run as it starts and ends. It is called from
// several goroutines at once.
type Progress interface {
	Start(scenario, workload, transport string)
	Done(scenario, workload, transport string, err error)
}

// A RowListener hears of each row as soon as it is done, with the record
// it belongs to (its other results are those done before it) and that
// record's index among Run's: a Progress that is one lets a long run be
// watched row by row. Calls never overlap.
type RowListener interface {
	Row(scenario int, rec *results.Record, r results.Result)
}

// Run runs every workload of cfg over every scenario, for every
// transport, and returns one record per scenario. Runs go in the
// catalog's phases: the paced runs (a stream) and the latency runs
// (echo, http) side by side on a scenario whose delay dwarfs what sharing
// the CPU adds (Scenario.Concurrent), then, one at a time, those of the
// other scenarios, paced runs first, and the throughput runs (bulk),
// each wanting every cycle. Every
// run has a path of its own. A run that fails is kept in its record with
// its error; Run fails only when ctx is cancelled.
func Run(ctx context.Context, scenarios []Scenario, cfg Config, progress Progress) ([]results.Record, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, name := range cfg.Transports {
		if _, ok := transports[name]; !ok {
			return nil, fmt.Errorf("unknown transport %q", name)
		}
	}
	records := make([]results.Record, len(scenarios))
	for i := range scenarios {
		records[i] = newRecord(scenarios[i].Record, &cfg)
	}
	var mu sync.Mutex
	rows, _ := progress.(RowListener)
	add := func(j Job, rs ...results.Result) {
		mu.Lock()
		defer mu.Unlock()
		records[j.index].Results = append(records[j.index].Results, rs...)
		if rows == nil {
			return
		}
		for _, r := range rs {
			rows.Row(j.index, &records[j.index], r)
		}
	}

	together, alone := Plan(scenarios, cfg)
	var wg sync.WaitGroup
	for _, j := range together {
		wg.Go(func() { add(j, runJob(ctx, j, &cfg, progress)...) })
	}
	wg.Wait()
	for _, j := range alone {
		if ctx.Err() != nil {
			break
		}
		add(j, runJob(ctx, j, &cfg, progress)...)
	}
	if err := ctx.Err(); err != nil {
		return records, err
	}
	for i := range records {
		results.Sort(records[i].Results)
	}
	return records, nil
}

// emulatorBound reports whether the path's relay, late in handing packets
// over, rather than the transport set r's figures: by more than a tenth of
// the row's median latency, or for a flow with no latency figure (bulk) by
// more than a tenth of the link's round trip and at least a millisecond.
func emulatorBound(r *results.Result, sc results.Scenario) bool {
	late := r.Path.RelayLateness
	if late == nil || late.N == 0 {
		return false
	}
	if r.LatencyMs != nil {
		return late.P99 > r.LatencyMs.P50/10
	}
	rtt, _ := sc.RTT()
	return late.P99 > max(ms(rtt)/10, 1)
}

// markEnd notes how a run ended: its error, or that it was cut short
// (its counts then cover what happened until StoppedAt, not the run it
// was meant to be).
func markEnd(ctx context.Context, r *results.Result, err error, start time.Time) {
	if ctx.Err() != nil {
		r.Interrupted, r.StoppedAt = true, results.Ms(time.Since(start))
		if errors.Is(err, ctx.Err()) {
			return // the interruption is the whole story
		}
	}
	if err != nil {
		r.Error = err.Error()
	}
}

// finishRow completes row r of a run of workload over transport that
// began at start and ended with err: what it ran, what its latency
// measures (where it has one; catalog.Workload.Latency) and how it ended
// (markEnd).
func finishRow(ctx context.Context, r *results.Result, transport, workload string, err error, start time.Time) {
	r.Transport, r.Workload = transport, workload
	if w, _ := catalog.LookupWorkload(workload); r.LatencyMs != nil {
		r.Metric = string(w.Latency)
	}
	markEnd(ctx, r, err, start)
}

// newRecord is an empty record of sc with the workload settings of cfg.
func newRecord(sc results.Scenario, cfg *Config) results.Record {
	sc.Count, sc.Size, sc.Nagle = cfg.Count, cfg.Size, cfg.Nagle
	sc.Interval, sc.Duration, sc.BulkBytes = results.Ms(cfg.Interval), results.Ms(cfg.Duration), cfg.BulkBytes
	sc.EchoMode, sc.EchoInterval, sc.Timeout = results.EchoPingPong, results.Ms(cfg.EchoInterval), results.Ms(cfg.Timeout)
	if cfg.Direction != half.Up {
		sc.Direction = cfg.Direction
	}
	if cfg.EchoInterval > 0 {
		sc.EchoMode = results.EchoPaced
	}
	if sc.Started.IsZero() {
		sc.Started = time.Now().UTC().Truncate(time.Second)
	}
	return results.Record{Schema: results.Schema, Scenario: sc, Environment: results.HostEnvironment()}
}

// A Job is one run: a transport and a workload on a scenario.
type Job struct {
	Scenario  *Scenario
	index     int // the scenario's index
	Workload  string
	Transport string
}

// Plan lays out the runs of cfg (defaults filled in) over scenarios as
// Run runs them: those that go side by side at first, and then those
// that follow one at a time, in order. A caller that plans around a run
// (a progress estimate) lays it out with the same rule.
func Plan(scenarios []Scenario, cfg Config) (together, alone []Job) {
	var later [catalog.Throughput + 1][]Job
	for _, w := range cfg.Workloads {
		wl, _ := catalog.LookupWorkload(w)
		for i := range scenarios {
			for _, t := range cfg.Transports {
				if !catalog.Runs(t, w) {
					continue
				}
				j := Job{&scenarios[i], i, w, t}
				switch {
				case wl.Phase <= catalog.Latency && scenarios[i].Concurrent:
					together = append(together, j)
				default:
					later[wl.Phase] = append(later[wl.Phase], j)
				}
			}
		}
	}
	for _, js := range later {
		alone = append(alone, js...)
	}
	return together, alone
}

// runJob opens a path, runs one workload over it and closes it. It
// returns a row per flow: one, or two for a bulk or stream run both ways
// (Bidir).
func runJob(ctx context.Context, j Job, cfg *Config, progress Progress) []results.Result {
	name := j.Scenario.Record.Name
	if progress != nil {
		progress.Start(name, j.Workload, j.Transport)
	}
	start := time.Now()
	rows, err := runOnPath(ctx, j, cfg)
	out := make([]results.Result, len(rows))
	for i, rw := range rows {
		r := rw.r
		rw.err = errors.Join(rw.err, err)
		finishRow(ctx, &r, j.Transport, j.Workload, rw.err, start)
		out[i] = r
	}
	if progress != nil {
		var errs []error
		for _, rw := range rows {
			errs = append(errs, rw.err)
		}
		progress.Done(name, j.Workload, j.Transport, errors.Join(errs...))
	}
	return out
}

// row is one flow's result and what went wrong with it.
type row struct {
	r   results.Result
	err error
}

// runOnPath opens j's path, runs its workload over it and closes it. An
// error of the path's own comes back apart from the rows'; a path that
// did not open gives one empty row.
func runOnPath(ctx context.Context, j Job, cfg *Config) (rows []row, err error) {
	wl, _ := catalog.LookupWorkload(j.Workload)
	p, err := j.Scenario.NewPath(ctx, netpath.Use{
		Bulk:        wl.Phase == catalog.Throughput,
		ServerSends: sendsDown(cfg.Direction),
		ServerOnly:  cfg.Direction == half.Down,
	})
	if err != nil {
		return []row{{}}, fmt.Errorf("open path: %w", err)
	}
	taps := newTapMux(p)
	defer func() {
		if st, ok := p.Stats(); ok {
			for i := range rows {
				r := &rows[i].r
				pst := st
				// A run that followed its flow's packets (a tap) left
				// what it counted in r.Path; the path's counters join it.
				if r.Path != nil {
					pst.TCPSpuriousRetransmits = r.Path.TCPSpuriousRetransmits
				}
				r.Path = &pst
				r.EmulatorBound = emulatorBound(r, j.Scenario.Record)
			}
		}
		if j.Workload == catalog.Bulk {
			for i := range rows {
				judgeLimits(&rows[i].r, j.Scenario.Record)
			}
		}
		err = p.Close()
	}()

	tr := transports[j.Transport]
	shape, _ := catalog.LookupTransport(j.Transport)
	one := func(r results.Result, err error) []row { return []row{{r, err}} }
	switch j.Workload {
	case catalog.Echo:
		return one(runEchoFlow(ctx, tr, shape, p, cfg)), nil
	case catalog.HTTP:
		return one(runHTTP(ctx, p, cfg)), nil
	case catalog.Stream, catalog.Bulk:
		bc := *cfg
		switch bc.BulkRate {
		case 0:
			bc.BulkRate = j.Scenario.BulkRate
		case Unlimited:
			bc.BulkRate = 0
		}
		return runDirections(cfg.Direction, func(dir string) (results.Result, error) {
			if j.Workload == catalog.Stream {
				return runStream(ctx, tr, shape, p, taps, dir, cfg)
			}
			return runBulk(ctx, tr, shape, p, taps, dir, &bc)
		}), nil
	}
	return one(results.Result{}, fmt.Errorf("unknown workload %q", j.Workload)), nil
}

// runDirections runs a flow in each direction of d at once, a row each.
// A row says its direction where the run has more than the default one.
func runDirections(d string, run func(dir string) (results.Result, error)) []row {
	dirs := directions(d)
	rows := make([]row, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			rows[i].r, rows[i].err = run(dir)
			if sendsDown(d) {
				rows[i].r.Direction = dir
			}
		})
	}
	wg.Wait()
	return rows
}

// ms is d in milliseconds, the record's unit of time.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summary is h's distribution as a result's optional figure: none
// without a sample.
func summary(h *metrics.Histogram) *results.Latency {
	if h.Count() == 0 {
		return nil
	}
	l := h.Summary()
	return &l
}
