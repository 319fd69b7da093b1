package main

import (
	"math"
	"time"

	"netmatrix/harness"
	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// plan is how long a run should take, job by job, laid out as harness.Plan
// lays it out: first the runs that share the machine, side by side, which
// take as long as the slowest of them; then the others, one by one.
type plan struct {
	jobs map[string]*plannedJob
}

type plannedJob struct {
	together bool
	estimate time.Duration
	started  time.Time // zero until it starts
	done     bool
}

// perRunSetup is what opening and closing a path and its servers costs a
// run, apart from its workload.
const perRunSetup = 30 * time.Millisecond

func newPlan(scenarios []harness.Scenario, cfg harness.Config) *plan {
	cfg = cfg.Defaults()
	p := &plan{jobs: map[string]*plannedJob{}}
	together, alone := harness.Plan(scenarios, cfg)
	for _, list := range []struct {
		jobs     []harness.Job
		together bool
	}{{together, true}, {alone, false}} {
		for _, j := range list.jobs {
			p.jobs[key(j.Scenario.Record.Name, j.Workload, j.Transport)] = &plannedJob{
				together: list.together,
				estimate: perRunSetup + estimateRun(j.Scenario.Record, cfg, j.Workload, j.Transport),
			}
		}
	}
	return p
}

// estimateRun is how long one run of workload over transport should take
// on a path described by sc: its messages times their pace, and what a
// loss costs (an echo timeout for datagrams, a retransmission timeout for
// the reliable transports).
func estimateRun(sc results.Scenario, cfg harness.Config, workload, transport string) time.Duration {
	var oneWay, rtt time.Duration
	var lossUp, lossDown float64
	var rate int64
	if sc.Up != nil && sc.Down != nil {
		oneWay = time.Duration(sc.Up.Delay)
		rtt = time.Duration(sc.Up.Delay + sc.Down.Delay)
		lossUp, lossDown = sc.Up.Loss, sc.Down.Loss
		rate = sc.Up.BandwidthBits
	}
	lossRT := 1 - (1-lossUp)*(1-lossDown)
	// Linux and gVisor never wait less than 200 ms to resend.
	rto := max(200*time.Millisecond, 2*rtt) + rtt
	n := float64(cfg.Count)
	switch workload {
	case catalog.HTTP:
		// Requests one after another on a keep-alive connection; a
		// lost segment costs a retransmission timeout.
		return time.Duration(n*float64(rtt+100*time.Microsecond) + n*lossRT*float64(rto))
	case catalog.Echo:
		probe := rtt + 50*time.Microsecond
		if cfg.EchoInterval > probe {
			probe = cfg.EchoInterval
		}
		cost := cfg.Timeout
		if catalog.Reliable(transport) {
			cost = rto
		}
		return time.Duration(n*float64(probe) + n*lossRT*float64(cost))
	case catalog.Stream:
		d := time.Duration(n)*cfg.Interval + oneWay
		if lossUp > 0 {
			if !catalog.Reliable(transport) {
				d += cfg.Timeout // the sink is drained until the timeout
			} else {
				d += rto
			}
		}
		return d
	case catalog.Bulk:
		if cfg.BulkBytes == 0 {
			// A datagram sink waits a timeout for stragglers once the
			// sender stops wherever some may be missing: on a lossy
			// path, and for QUIC datagrams, which drop what their
			// queue cannot take.
			if !catalog.Reliable(transport) && (lossUp > 0 || transport == catalog.QUICDgram) {
				return cfg.Duration + cfg.Timeout
			}
			return cfg.Duration
		}
		// A fixed transfer: at the rate limit, or at what TCP keeps
		// through the loss (the Mathis model), or a guess of what this
		// machine copies.
		bps := 800e6
		if rate > 0 {
			bps = float64(rate)
		}
		if lossUp > 0 && rtt > 0 {
			bps = min(bps, 1460*8/rtt.Seconds()*1.22/math.Sqrt(lossUp))
		}
		return time.Duration(float64(cfg.BulkBytes) * 8 / bps * float64(time.Second))
	}
	return time.Second
}

// start and finish mark a job; unknown keys (a run the plan did not
// foresee) are ignored.
func (p *plan) start(k string, now time.Time) {
	if j := p.jobs[k]; j != nil {
		j.started = now
	}
}

func (p *plan) finish(k string) {
	if j := p.jobs[k]; j != nil {
		j.done = true
	}
}

// remaining is the time the jobs not yet done should still take.
func (p *plan) remaining(now time.Time) time.Duration {
	var together, rest time.Duration
	for _, j := range p.jobs {
		if j.done {
			continue
		}
		left := j.estimate
		if !j.started.IsZero() {
			left = max(0, left-now.Sub(j.started))
		}
		if j.together {
			together = max(together, left)
		} else {
			rest += left
		}
	}
	return together + rest
}

// counts reports jobs done and in all.
func (p *plan) counts() (done, all int) {
	for _, j := range p.jobs {
		if j.done {
			done++
		}
	}
	return done, len(p.jobs)
}

// total is the whole run's estimate before it starts.
func (p *plan) total() time.Duration {
	q := &plan{jobs: map[string]*plannedJob{}}
	for k, j := range p.jobs {
		c := *j
		c.started, c.done = time.Time{}, false
		q.jobs[k] = &c
	}
	return q.remaining(time.Time{})
}
