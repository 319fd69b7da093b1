// Command fidelity turns the fidelity grid's records (bench/fidelity.sh:
// compare -format json, one sweep per path, congestion control, round
// trip and seed) into docs/fidelity.md: the emulated path's TCP beside
// Linux's own on the same seeded links, beside the Mathis et al. and
// Padhye et al. models, and where the two paths agree.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/results"
	"netmatrix/results/report"
)

// cell is one link setting: congestion control, round trip and loss.
type cell struct {
	cc   string
	rtt  time.Duration
	loss float64
}

// predict is the Mathis and Padhye predictions, in Mbit/s, for the
// cell's link (its loss, and half its round trip, in each direction);
// 0 where a model has none.
func (c cell) predict() (mathis, padhye float64) {
	l := results.Link{Loss: c.loss, Delay: results.Ms(c.rtt / 2)}
	sc := results.Scenario{Up: &l, Down: &l}
	m, _ := report.Mathis(sc)
	p, _ := report.Padhye(sc)
	return m.Mbps, p.Mbps
}

// figures are one path's runs at a cell, a value per seed.
type figures struct {
	goodput, echoP99, streamP99, late, retx []float64
}

// agreement bounds the ratio of emulated to kernel at which the emulated
// TCP is said to stand in for Linux's.
const agreeLo, agreeHi = 0.75, 1.33

// agrees reports whether a ratio of emulated to kernel is within the
// agreement band.
func agrees(r float64) bool { return r >= agreeLo && r <= agreeHi }

func main() {
	command := flag.String("command", "bench/fidelity.sh", "the command that made the records, for the report")
	flag.Parse()
	recs, err := results.ReadJSON(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fidelity: %v\n", err)
		os.Exit(1)
	}
	grid := map[cell]map[string]*figures{}
	for _, rec := range recs {
		sc := rec.Scenario
		rtt, ok := sc.RTT()
		if !ok || sc.Sweep == nil {
			continue
		}
		c := cell{sc.CongestionControl, rtt, sc.Up.Loss}
		if grid[c] == nil {
			grid[c] = map[string]*figures{}
		}
		f := grid[c][sc.Link]
		if f == nil {
			f = &figures{}
			grid[c][sc.Link] = f
		}
		for _, r := range rec.Results {
			if r.Transport != catalog.TCP || r.Error != "" || r.Interrupted {
				continue
			}
			switch r.Workload {
			case catalog.Bulk:
				if r.GoodputMbitS != nil {
					f.goodput = append(f.goodput, *r.GoodputMbitS)
				}
				if r.Path != nil {
					f.retx = append(f.retx, float64(r.Path.TCPRetransmits))
					if l := r.Path.RelayLateness; l != nil {
						f.late = append(f.late, l.P99)
					}
				}
			case catalog.Echo:
				if r.LatencyMs != nil {
					f.echoP99 = append(f.echoP99, r.LatencyMs.P99)
				}
			case catalog.Stream:
				if r.LatencyMs != nil {
					f.streamP99 = append(f.streamP99, r.LatencyMs.P99)
				}
			}
		}
	}
	write(os.Stdout, grid, recs, *command)
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// ratioOf is a/b, where both are figures (not NaN) and b is not 0.
func ratioOf(a, b float64) (float64, bool) {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return 0, false
	}
	return a / b, true
}

// ratio is a/b, with a mark where it falls outside the agreement band.
func ratio(a, b float64) string {
	r, ok := ratioOf(a, b)
	if !ok {
		return "-"
	}
	s := fmt.Sprintf("%.2f", r)
	if !agrees(r) {
		s = "**" + s + "**"
	}
	return s
}

func write(w io.Writer, grid map[cell]map[string]*figures, recs []results.Record, command string) {
	var cells []cell
	for c := range grid {
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.cc, b.cc), cmp.Compare(a.rtt, b.rtt), cmp.Compare(a.loss, b.loss))
	})
	hasKernel := false
	for _, c := range cells {
		if grid[c][results.LinkKernel] != nil {
			hasKernel = true
		}
	}
	fmt.Fprintf(w, "# Fidelity: the emulated TCP against Linux's and the models\n\n")
	fmt.Fprintf(w, "Made with `%s`", command)
	if len(recs) > 0 {
		env := recs[0].Environment
		fmt.Fprintf(w, " on %s, %s/%s with %d CPUs, %s", recs[0].Scenario.Started.Format("2006-01-02"), env.OS, env.Arch, env.CPUs, env.GoVersion)
	}
	fmt.Fprintf(w, ". Each cell is the same seeded link on both paths, TCP alone; figures are the mean (goodput) or the median (p99s) over the seeds. ")
	fmt.Fprintf(w, "A ratio outside %.2f..%.2f is in bold. The models: Mathis et al. (1997), congestion avoidance alone; Padhye et al. (1998), with timeouts (b = 2, T0 = max(200 ms, 2 RTT)).\n\n", agreeLo, agreeHi)
	if !hasKernel {
		fmt.Fprintf(w, "**No kernel path ran here** (it needs root, or a user namespace and a TUN device): the emulated path stands against the models alone.\n\n")
	}
	for _, cc := range []string{"reno", "cubic"} {
		fmt.Fprintf(w, "## %s\n\n", cc)
		fmt.Fprintf(w, "| RTT | loss | goodput emulated | kernel | emu/kernel | Mathis | Padhye | kernel/Padhye | echo p99 emu | kernel | ratio | stream p99 emu | kernel | ratio | retx emu / kernel | relay late p99 ms |\n")
		fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range cells {
			if c.cc != cc {
				continue
			}
			e, k := grid[c][results.LinkEmulated], grid[c][results.LinkKernel]
			if e == nil {
				e = &figures{}
			}
			if k == nil {
				k = &figures{}
			}
			pm, pp := c.predict()
			eg, kg := mean(e.goodput), mean(k.goodput)
			fmt.Fprintf(w, "| %v | %g%% | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n",
				c.rtt, 100*c.loss, num(eg), num(kg), ratio(eg, kg), num(pm), num(pp), ratio(kg, pp),
				num(median(e.echoP99)), num(median(k.echoP99)), ratio(median(e.echoP99), median(k.echoP99)),
				num(median(e.streamP99)), num(median(k.streamP99)), ratio(median(e.streamP99), median(k.streamP99)),
				num(mean(e.retx)), num(mean(k.retx)), num(maxOf(median(e.late), median(k.late))))
		}
		fmt.Fprintln(w)
	}
	if hasKernel {
		agree, differ := metrics[0].split(grid, cells)
		fmt.Fprintf(w, "Bulk goodput of the emulated TCP was within %.2f..%.2f of Linux's in %d of %d cells.\n\n", agreeLo, agreeHi, len(agree), len(agree)+len(differ))
		trusted(w, grid, cells)
		models(w, grid, cells)
	}
	fmt.Fprintln(w, strings.TrimSpace(`
Goodput is in Mbit/s, latencies in ms. "retx" counts the segments both
stacks retransmitted; "relay late" is how late the link's relay handed
packets over (p99), the emulator's own share of every figure.`))
}

// metric picks one figure of a path's runs at a cell, as the tables
// show it.
type metric struct {
	name string
	of   func(*figures) float64
}

var metrics = []metric{
	{"bulk goodput", func(f *figures) float64 { return mean(f.goodput) }},
	{"echo p99", func(f *figures) float64 { return median(f.echoP99) }},
	{"stream p99", func(f *figures) float64 { return median(f.streamP99) }},
}

// split sorts cells into the losses at which m's emulated figure was
// within the agreement band of the kernel's, and those (with the ratio)
// at which it was not; a cell without both figures is in neither.
func (m metric) split(grid map[cell]map[string]*figures, cells []cell) (agree, differ []string) {
	for _, c := range cells {
		e, kern := grid[c][results.LinkEmulated], grid[c][results.LinkKernel]
		if e == nil || kern == nil {
			continue
		}
		r, ok := ratioOf(m.of(e), m.of(kern))
		if !ok {
			continue
		}
		loss := fmt.Sprintf("%g%%", 100*c.loss)
		if agrees(r) {
			agree = append(agree, loss)
		} else {
			differ = append(differ, fmt.Sprintf("%s (%.2f)", loss, r))
		}
	}
	return agree, differ
}

// trusted writes, for each congestion control, round trip and metric,
// the losses at which the emulated figure was within the agreement band
// of Linux's, and those at which it was not: where the emulated TCP can
// stand in for Linux's, read from the grid rather than asserted.
func trusted(w io.Writer, grid map[cell]map[string]*figures, cells []cell) {
	fmt.Fprintf(w, "## Where the emulated TCP stands in for Linux's\n\n")
	fmt.Fprintf(w, "Within %.2f..%.2f of the kernel path's figure, by loss:\n\n", agreeLo, agreeHi)
	fmt.Fprintf(w, "| congestion control | RTT | figure | agrees at | differs at (emulated/kernel) |\n|---|---:|---|---|---|\n")
	type key struct {
		cc  string
		rtt time.Duration
	}
	var keys []key
	seen := map[key]bool{}
	for _, c := range cells {
		k := key{c.cc, c.rtt}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		group := slices.DeleteFunc(slices.Clone(cells), func(c cell) bool { return c.cc != k.cc || c.rtt != k.rtt })
		for _, m := range metrics {
			agree, differ := m.split(grid, group)
			fmt.Fprintf(w, "| %s | %v | %s | %s | %s |\n", k.cc, k.rtt, m.name, orDash(agree), orDash(differ))
		}
	}
	fmt.Fprintln(w)
}

// maxOf is the larger of a and b, ignoring either that is NaN (no runs).
func maxOf(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return max(a, b)
}

func orDash(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return strings.Join(v, ", ")
}

// models writes how Linux's goodput (the kernel path) stood against
// each model, up to 5% loss and past it: the range of the ratio over the
// grid's cells.
func models(w io.Writer, grid map[cell]map[string]*figures, cells []cell) {
	type span struct{ lo, hi float64 }
	widen := func(s *span, r float64) {
		if s.lo == 0 || r < s.lo {
			s.lo = r
		}
		s.hi = max(s.hi, r)
	}
	var mathis, padhye [2]span // up to 5% loss, past it
	for _, c := range cells {
		k := grid[c][results.LinkKernel]
		if k == nil || c.cc != "reno" {
			continue
		}
		g := mean(k.goodput)
		pm, pp := c.predict()
		i := 0
		if c.loss > 0.05 {
			i = 1
		}
		if r, ok := ratioOf(g, pm); ok {
			widen(&mathis[i], r)
		}
		if r, ok := ratioOf(g, pp); ok {
			widen(&padhye[i], r)
		}
	}
	fmt.Fprintf(w, "## Linux's Reno against the models\n\n")
	fmt.Fprintf(w, "Kernel-path goodput over the model's prediction, Reno: up to 5%% loss, %.2f to %.2f of Mathis and %.2f to %.2f of Padhye; past 5%%, %.2f to %.2f of Mathis and %.2f to %.2f of Padhye.\n",
		mathis[0].lo, mathis[0].hi, padhye[0].lo, padhye[0].hi, mathis[1].lo, mathis[1].hi, padhye[1].lo, padhye[1].hi)
	fmt.Fprintln(w, strings.TrimSpace(`
Mathis et al. leave out retransmission timeouts, so past a few percent
they promise more than any TCP delivers; Padhye et al. add timeouts
with a 1998 stack's timers, and modern Linux (SACK, RACK-TLP, a 200 ms
minimum timeout, proportional rate reduction) beats that promise
throughout. Read them as bounds with the figures above: where Linux's
goodput lies between the two, the model is not what tells the paths
apart.`))
	fmt.Fprintln(w)
}
