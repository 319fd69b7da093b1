package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"netmatrix/harness"
)

// progress reports on stderr what is running and how long is left. On a
// terminal it is a bar redrawn in place (mpb), with the scenario and
// workload that run; elsewhere, once a run has taken more than a second,
// a line per finished run, so logs stay readable.
type progress struct {
	w     io.Writer
	start time.Time
	plan  *plan // nil when nothing was planned (a -target run)

	mu      sync.Mutex
	running map[string]time.Time
	done    int
	failed  int

	bars *mpb.Progress // nil off a terminal
	bar  *mpb.Bar
	quit chan struct{}
	wg   sync.WaitGroup
}

// barRefresh is how often the bar is redrawn and its estimate updated.
const barRefresh = 200 * time.Millisecond

// newProgress starts reporting on w. forceTTY draws the bar on a writer
// that is not a terminal, for tests.
func newProgress(w io.Writer, pl *plan, forceTTY bool) *progress {
	p := &progress{w: w, start: time.Now(), plan: pl, running: map[string]time.Time{}, quit: make(chan struct{})}
	if !forceTTY && !isTerminal(w) {
		if pl != nil {
			if total := pl.total(); total >= 2*time.Second {
				_, all := pl.counts()
				fmt.Fprintf(w, "compare: %d runs, about %s\n", all, fmtLeft(total))
			}
		}
		return p
	}
	p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(barRefresh),
		mpb.ContainerOptional(mpb.ForceTTY(), forceTTY), mpb.ContainerOptional(mpb.WithAutoRefresh(), forceTTY))
	p.bar = p.bars.New(1000, mpb.BarStyle().Lbound("[").Rbound("]"),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return p.countText() }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return p.statusText() })),
		mpb.BarRemoveOnComplete(),
	)
	p.wg.Go(p.tick)
	return p
}

var _ harness.Progress = (*progress)(nil)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func key(scenario, workload, transport string) string {
	return scenario + "/" + workload + "/" + transport
}

func (p *progress) Start(scenario, workload, transport string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(scenario, workload, transport)
	now := time.Now()
	p.running[k] = now
	if p.plan != nil {
		p.plan.start(k, now)
	}
}

func (p *progress) Done(scenario, workload, transport string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(scenario, workload, transport)
	took := time.Since(p.running[k])
	delete(p.running, k)
	p.done++
	if err != nil {
		p.failed++
	}
	if p.plan != nil {
		p.plan.finish(k)
	}
	if p.bars != nil || time.Since(p.start) < time.Second {
		return
	}
	status := "ok"
	if err != nil {
		status = "failed: " + err.Error()
	}
	left := ""
	if p.plan != nil {
		left = ", about " + fmtLeft(p.plan.remaining(time.Now())) + " left"
	}
	fmt.Fprintf(p.w, "compare: %s done in %.1fs (%s)%s\n", k, took.Seconds(), status, left)
}

// tick moves the bar: elapsed time against elapsed plus what the plan
// says is left, so a run that takes longer than foreseen slows the bar
// rather than overfilling it.
func (p *progress) tick() {
	t := time.NewTicker(barRefresh)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		p.mu.Lock()
		elapsed := time.Since(p.start)
		var left time.Duration
		if p.plan != nil {
			left = p.plan.remaining(time.Now())
		}
		p.mu.Unlock()
		total := max(int64((elapsed+left)/time.Millisecond), 1)
		p.bar.SetTotal(total+1, false)
		p.bar.SetCurrent(int64(elapsed / time.Millisecond))
	}
}

// countText is the bar's left side: runs done of all, and failures.
func (p *progress) countText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := strconv.Itoa(p.done)
	if p.plan != nil {
		_, all := p.plan.counts()
		s += "/" + strconv.Itoa(all)
	}
	s += " runs"
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	return s
}

// statusText is the bar's right side: how long is left and what runs.
func (p *progress) statusText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.plan != nil {
		b.WriteString("about " + fmtLeft(p.plan.remaining(time.Now())) + " left")
	} else {
		b.WriteString(fmtLeft(time.Since(p.start)) + " so far")
	}
	if r := runningText(p.running); r != "" {
		b.WriteString("  " + r)
	}
	return truncate(b.String(), 90)
}

// runningText names what runs: "bulk on loss=2%: tcp", or for runs side
// by side, the workload and its paths ("stream on clean, lossy: 10 runs").
func runningText(running map[string]time.Time) string {
	if len(running) == 0 {
		return ""
	}
	var workloads, scenarios, transports []string
	for k := range running {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) != 3 {
			continue
		}
		for i, list := range []*[]string{&scenarios, &workloads, &transports} {
			if !slices.Contains(*list, parts[i]) {
				*list = append(*list, parts[i])
			}
		}
	}
	slices.Sort(workloads)
	slices.Sort(scenarios)
	slices.Sort(transports)
	if len(running) == 1 {
		return fmt.Sprintf("%s on %s: %s", workloads[0], scenarios[0], transports[0])
	}
	return fmt.Sprintf("%s on %s: %d runs", strings.Join(workloads, "+"), strings.Join(scenarios, ", "), len(running))
}

// fmtLeft rounds a time left to what a person waits by: seconds under a
// minute, then minutes and seconds.
func fmtLeft(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + "s"
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// stop ends the progress display and clears the bar, so the tables that
// follow start on a clean line.
func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
	if p.bars == nil {
		return
	}
	p.bar.SetTotal(-1, true) // complete at the current count: BarRemoveOnComplete clears it
	p.bars.Wait()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
