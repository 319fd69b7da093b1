package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"netmatrix/harness/link"
	"netmatrix/results"
)

// Scenario is one path setting to run the workloads over.
type Scenario struct {
	// Record describes the scenario in the results (name, link, impairment).
	Record results.Scenario
	// NewPath opens a fresh path for one run. Every transport and
	// workload gets its own, with the same settings and seed, so each
	// meets the same link and none shares it with another.
	NewPath func(ctx context.Context) (Path, error)
	// Concurrent lets the echo workload's transports run at the same time,
	// each on its own path. Worth it where the link's delay dwarfs what
	// sharing the CPU adds (milliseconds against microseconds); on a
	// fast path, round trips are measured one transport at a time.
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

// job is one run: a transport and a workload on a scenario.
type job struct {
	sc        *Scenario
	index     int // scenario's index
	workload  string
	transport string
}

// Run runs every workload of cfg over every scenario, for every
// transport, and returns one record per scenario. Workloads run one after
// another; within one, latency runs (stream always, echo where the
// scenario allows) go side by side on their own paths, and bulk runs one
// at a time because each wants the whole CPU. A run that fails is kept in
// its record with its error; Run fails only when ctx is cancelled.
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
		sc := scenarios[i].Record
		sc.Count, sc.Size, sc.Nagle = cfg.Count, cfg.Size, cfg.Nagle
		sc.Interval, sc.Duration = results.Duration(cfg.Interval), results.Duration(cfg.Duration)
		if sc.Started.IsZero() {
			sc.Started = time.Now().UTC().Truncate(time.Second)
		}
		records[i] = results.Record{Schema: results.Schema, Scenario: sc, Environment: results.HostEnvironment()}
	}
	var mu sync.Mutex
	add := func(j job, r results.Result) {
		mu.Lock()
		defer mu.Unlock()
		records[j.index].Results = append(records[j.index].Results, r)
	}

	// Three phases: the latency runs that can share the machine all at
	// once (paced streams always; echo and http where the link's delay
	// dwarfs what sharing adds), then the latency runs that need it to
	// themselves, then bulk runs one by one, each wanting every cycle.
	var together, alone, bulk []job
	for _, w := range cfg.Workloads {
		for i := range scenarios {
			for _, t := range cfg.Transports {
				if !Applies(w, t) {
					continue
				}
				j := job{&scenarios[i], i, w, t}
				switch {
				case w == "bulk":
					bulk = append(bulk, j)
				case w == "stream" || scenarios[i].Concurrent:
					together = append(together, j)
				default:
					alone = append(alone, j)
				}
			}
		}
	}
	var wg sync.WaitGroup
	for _, j := range together {
		wg.Go(func() { add(j, runJob(ctx, j, &cfg, progress)) })
	}
	wg.Wait()
	for _, j := range append(alone, bulk...) {
		if ctx.Err() != nil {
			break
		}
		add(j, runJob(ctx, j, &cfg, progress))
	}
	if err := ctx.Err(); err != nil {
		return records, err
	}
	for i := range records {
		sortResults(records[i].Results, cfg.Workloads)
	}
	return records, nil
}

// Applies reports whether Run runs transport for workload at all: HTTP/1.1
// runs over TCP alone, and a bulk transfer is one stream, not a stream
// per message. A caller that plans around a run (a progress estimate)
// counts the same runs with it.
func Applies(workload, transport string) bool {
	switch workload {
	case "http":
		return transport == "tcp"
	case "bulk":
		return transport != "quic-permsg"
	}
	return true
}

// sortResults orders results by workload, then transport, as tables show them.
func sortResults(rs []results.Result, workloads []string) {
	slices.SortStableFunc(rs, func(a, b results.Result) int {
		if d := slices.Index(workloads, a.Workload) - slices.Index(workloads, b.Workload); d != 0 {
			return d
		}
		return slices.Index(transportOrder, a.Transport) - slices.Index(transportOrder, b.Transport)
	})
}

// runJob opens a path, runs one workload over it and closes it.
func runJob(ctx context.Context, j job, cfg *Config, progress Progress) (r results.Result) {
	name := j.sc.Record.Name
	if progress != nil {
		progress.Start(name, j.workload, j.transport)
	}
	var err error
	defer func() {
		r.Transport, r.Workload = j.transport, j.workload
		if err != nil {
			r.Error = err.Error()
		}
		if progress != nil {
			progress.Done(name, j.workload, j.transport, err)
		}
	}()

	p, err := j.sc.NewPath(ctx)
	if err != nil {
		err = fmt.Errorf("open path: %w", err)
		return r
	}
	defer func() {
		if st := p.Stats(); st.Valid {
			r.Path = pathStats(st)
		}
		err = errors.Join(err, p.Close())
	}()

	tr := transports[j.transport]
	switch j.workload {
	case "echo":
		var f *flow
		if f, err = tr.echo(ctx, p, cfg); err != nil {
			return r
		}
		defer f.stop()
		r, err = runEcho(ctx, f, cfg)
		r.HandshakeMs = ms(f.handshake)
		if f.stats != nil {
			r.TransportStats = f.stats()
		}
	case "stream":
		r, err = runStream(ctx, tr, p, cfg)
	case "http":
		r, err = runHTTP(ctx, p, cfg)
	case "bulk":
		bc := *cfg
		switch bc.BulkRate {
		case 0:
			bc.BulkRate = j.sc.BulkRate
		case Unlimited:
			bc.BulkRate = 0
		}
		r, err = runBulk(ctx, tr, p, &bc)
	default:
		err = fmt.Errorf("unknown workload %q", j.workload)
	}
	return r
}

func pathStats(st PathStats) *results.PathStats {
	lc := func(c link.Counters) results.LinkCounters {
		return results.LinkCounters{
			Packets: c.Packets, Forwarded: c.Forwarded, Lost: c.Lost, QueueDrops: c.QueueDrops,
			Duplicated: c.Duplicated, Reordered: c.Reordered, Delayed: c.Delayed,
		}
	}
	return &results.PathStats{Up: lc(st.Up), Down: lc(st.Down), TCPRetransmits: st.TCPRetransmits, StackDrops: st.StackDrops}
}
