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

	"netmatrix/harness"
	"netmatrix/harness/link"
)

// progress reports on stderr what is running once a run has taken more
// than a second: on a terminal one line redrawn in place, elsewhere a line
// per finished run, so logs stay readable.
type progress struct {
	w       io.Writer
	tty     bool
	start   time.Time
	mu      sync.Mutex
	running map[string]time.Time
	done    int
	failed  int
	drawn   bool
	quit    chan struct{}
	wg      sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, tty: isTerminal(w), start: time.Now(), running: map[string]time.Time{}, quit: make(chan struct{})}
	if p.tty {
		p.wg.Go(p.redraw)
	}
	return p
}

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
	p.running[key(scenario, workload, transport)] = time.Now()
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
	if p.tty || time.Since(p.start) < time.Second {
		return
	}
	status := "ok"
	if err != nil {
		status = "failed: " + err.Error()
	}
	fmt.Fprintf(p.w, "compare: %s done in %.1fs (%s)\n", k, took.Seconds(), status)
}

func (p *progress) redraw() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if time.Since(p.start) >= time.Second {
			var names []string
			for k := range p.running {
				names = append(names, k)
			}
			line := fmt.Sprintf("%4.0fs  %d done", time.Since(p.start).Seconds(), p.done)
			if p.failed > 0 {
				line += fmt.Sprintf(", %d failed", p.failed)
			}
			if len(names) > 0 {
				line += "  running: " + strings.Join(slices.Sorted(slices.Values(names)), " ")
			}
			fmt.Fprintf(p.w, "\r\033[K%s", truncate(line, 150))
			p.drawn = true
		}
		p.mu.Unlock()
	}
}

// stop ends the progress display and clears its line.
func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// parseRate reads a rate such as 100mbit for harness.Config.BulkRate:
// "auto" leaves it to the scenario, "0" is unlimited.
func parseRate(s string) (int64, error) {
	switch strings.TrimSpace(s) {
	case "auto", "":
		return 0, nil
	case "0", "unlimited":
		return harness.Unlimited, nil
	}
	return link.ParseBandwidth(s)
}

// parseBytes reads a size: a number of bytes with an optional unit, KB
// MB GB (powers of 1000) or KiB MiB GiB (powers of 1024).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 || v > (1<<50)/mult {
		return 0, fmt.Errorf("want a size like 10MiB, 1GB or 65536, not %q", s)
	}
	return v * mult, nil
}
