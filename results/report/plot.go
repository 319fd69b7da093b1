package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"netmatrix/harness/catalog"
	"netmatrix/results"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A Plot is one figure of a run, drawn as SVG.
type Plot struct {
	Name  string // file name without extension: "cdf-stream", "sweep-goodput"
	Title string
	// Section is the part of the run it shows: a workload's name for
	// its latency CDFs, SweepSection for a sweep's curves.
	Section string
	SVG     []byte
}

// plotW and plotH size every figure: wide enough for a legend of five
// transports beside the curves, and a page shows two one above the other.
const (
	plotW = 7 * vg.Inch
	plotH = 4 * vg.Inch
	// legendW is the strip right of the axes that holds the legend, so
	// it never hides a curve.
	legendW = 1.6 * vg.Inch
)

// Plots draws the figures of a run: the latency CDF of each workload
// that measures latency (a figure per scenario, a curve per transport),
// and for a sweep, p99 one-way delay, delivered share and goodput
// against the swept setting, with the models' lines on the goodput
// figure wherever the model has a prediction.
func Plots(records []results.Record) ([]Plot, error) { return SectionPlots(records, "") }

// SectionPlots draws the figures of one section of a run only (see
// Plot.Section), or of every section for ""; a page that fills in as
// rows finish redraws only what a row changed.
func SectionPlots(records []results.Record, section string) ([]Plot, error) {
	if results.RunCount(records) > 1 {
		return nil, nil // a figure per scenario of a whole grid is more than a reader opens; replay one run for them
	}
	var out []Plot
	for _, w := range workloadsOf(records) {
		if section != "" && section != w {
			continue
		}
		ps, err := cdfPlots(records, w)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	if isSweep(records) && (section == "" || section == SweepSection) {
		for _, m := range metricsOf(records) {
			if m.name == "" {
				continue
			}
			p, err := sweepPlot(records, m)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// curve is one labelled line of a figure.
type curve struct {
	label string
	xys   plotter.XYs
	style int // the index of its colour and dashes, fixed per transport
}

// cdfPlots draws workload's latency distributions: one figure per
// scenario with a curve per transport, so the transports sit side by side
// on the same path as they do in the tables.
func cdfPlots(records []results.Record, workload string) ([]Plot, error) {
	w, _ := catalog.LookupWorkload(workload)
	what := w.Latency.Quantity()
	if what == "" {
		return nil, nil
	}
	trs := transportsOf(records)
	var out []Plot
	for i := range records {
		var cs []curve
		for j, tr := range trs {
			if r := find(&records[i], workload, tr); r != nil && r.LatencyMs != nil && len(r.LatencyMs.CDF) > 0 {
				cs = append(cs, curve{tr, cdfSteps(r.LatencyMs.CDF), j})
			}
		}
		label := scenarioLabel(records[i].Scenario)
		name := "cdf-" + workload
		if len(records) > 1 {
			name += "-" + slug(label)
		}
		p, err := drawCDF(name, fmt.Sprintf("%s: %s on %s", workload, what, label), cs)
		if err != nil {
			return nil, err
		}
		if p != nil {
			p.Section = workload
			out = append(out, *p)
		}
	}
	return out, nil
}

// cdfSteps turns CDF points into the corners of a step line that starts
// at zero share.
func cdfSteps(pts []results.CDFPoint) plotter.XYs {
	xys := plotter.XYs{{X: pts[0].Ms, Y: 0}}
	for _, p := range pts {
		xys = append(xys, plotter.XY{X: p.Ms, Y: p.Q})
	}
	return xys
}

// ninesScale draws a share on the axis by its nines, -log10(1-q), so
// p50, p90, p99 and p99.9 are evenly apart and the tail that a loss makes
// is as large on the figure as the body of the distribution.
type ninesScale struct{}

func nines(q float64) float64 { return -math.Log10(1 - q) }

func (ninesScale) Normalize(lo, hi, x float64) float64 {
	return (nines(x) - nines(lo)) / (nines(hi) - nines(lo))
}

func drawCDF(name, title string, cs []curve) (*Plot, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	// The axis ends at the nines the samples can show: with 150 samples,
	// p99.9 is the largest; a share of 1 would sit at infinity.
	lo, hi := math.Inf(1), 0.0
	for _, c := range cs {
		for _, p := range c.xys {
			if p.X > 0 {
				lo, hi = min(lo, p.X), max(hi, p.X)
			}
		}
	}
	top := 0.999
	for _, c := range cs {
		for _, p := range c.xys {
			if p.Y < 1 && p.Y > top {
				top = min(p.Y, 0.9999)
			}
		}
	}
	p := newPlot(title, "latency (ms)", "share of messages at or below")
	p.Y.Min, p.Y.Max = 0, top
	p.Y.Scale = ninesScale{}
	var ticks plot.ConstantTicks
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 0.9999} {
		if q <= top {
			ticks = append(ticks, plot.Tick{Value: q, Label: strconv.FormatFloat(q, 'f', -1, 64)})
		}
	}
	p.Y.Tick.Marker = ticks
	logX := lo > 0 && hi/lo > 30
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for _, c := range cs {
		xys := make(plotter.XYs, len(c.xys))
		for i, pt := range c.xys {
			xys[i] = plotter.XY{X: pt.X, Y: min(pt.Y, top)}
			if logX {
				xys[i].X = max(pt.X, lo)
			}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("results: plot %s: %w", name, err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = lineStyle(c.style)
		p.Add(l)
		p.Legend.Add(c.label, l)
	}
	return render(p, name, title)
}

// sweepPlot draws one sweep metric against the swept setting, a line per
// transport; on the goodput figure, the models' predictions too.
func sweepPlot(records []results.Record, m sweepMetric) (Plot, error) {
	param := sweepParam(records)
	p := newPlot(m.title+" as "+param+" changes", axisLabel(param), m.ylabel)
	p.X.Tick.Marker = sweepTicks(records)
	var cs []curve
	var all []float64
	for i, tr := range transportsOf(records) {
		var xys plotter.XYs
		for j := range records {
			if v, ok := m.value(find(&records[j], m.workload, tr)); ok {
				xys = append(xys, plotter.XY{X: axisValue(records[j].Scenario.Sweep), Y: v})
				all = append(all, v)
			}
		}
		if len(xys) > 0 {
			cs = append(cs, curve{tr, xys, i})
		}
	}
	var models []plotter.XYs
	if m.workload == catalog.Bulk {
		for _, tm := range tcpModels {
			curve := modelCurve(records, tm)
			models = append(models, curve)
			for _, pt := range curve {
				all = append(all, pt.Y)
			}
		}
	}
	logY := useLog(all)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	keep := func(xys plotter.XYs) plotter.XYs {
		if !logY {
			return xys
		}
		// A log axis has no place for zero: a run that moved nothing
		// is left off rather than drawn at an invented floor.
		return slices.DeleteFunc(slices.Clone(xys), func(pt plotter.XY) bool { return pt.Y <= 0 })
	}
	for _, c := range cs {
		xys := keep(c.xys)
		if len(xys) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return Plot{}, fmt.Errorf("results: plot %s: %w", m.name, err)
		}
		l.LineStyle = lineStyle(c.style)
		s.GlyphStyle = draw.GlyphStyle{Color: plotutil.Color(c.style), Radius: vg.Points(2.5), Shape: plotutil.Shape(c.style)}
		p.Add(l, s)
		p.Legend.Add(c.label, l, s)
	}
	for k, model := range models {
		if model = keep(model); len(model) < 2 {
			continue
		}
		l, err := plotter.NewLine(model)
		if err != nil {
			return Plot{}, fmt.Errorf("results: plot %s: %w", m.name, err)
		}
		// Grey dashes for the models, told apart by their pattern.
		dash := []vg.Length{vg.Points(6), vg.Points(3)}
		if k > 0 {
			dash = []vg.Length{vg.Points(2), vg.Points(2)}
		}
		l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0x40}, Width: vg.Points(1.5), Dashes: dash}
		p.Add(l)
		p.Legend.Add(strings.Fields(tcpModels[k].name)[0]+" (Reno)", l)
	}
	out, err := render(p, m.name, p.Title.Text)
	if err != nil {
		return Plot{}, err
	}
	out.Section = SweepSection
	return *out, nil
}

// modelCurve is model m's prediction along the sweep. Over a loss sweep
// it is drawn as the smooth curve it is, from the first lossy point on,
// at that point's round trip and MSS; over other sweeps, through the
// points that have one.
func modelCurve(records []results.Record, m tcpModel) plotter.XYs {
	var pts plotter.XYs
	var first *MathisModel
	for i := range records {
		if pr, ok := m.predictFor(records[i].Scenario); ok {
			if first == nil {
				first = &pr
			}
			pts = append(pts, plotter.XY{X: axisValue(records[i].Scenario.Sweep), Y: pr.Mbps})
		}
	}
	if sweepParam(records) != "loss" || len(pts) < 2 {
		return pts
	}
	lo, hi := pts[0].X, pts[len(pts)-1].X
	const samples = 60
	curve := make(plotter.XYs, 0, samples)
	for i := range samples {
		// Evenly spaced in log(p), where the curve bends; x is in %.
		x := lo * math.Pow(hi/lo, float64(i)/(samples-1))
		curve = append(curve, plotter.XY{X: x, Y: m.predict(first.MSS, first.RTT, x/100)})
	}
	return curve
}

// sweepTicks marks the x axis at the swept values, labelled as typed less
// the unit the axis names ("0.5" for 0.5%), or evenly where they would
// crowd each other.
func sweepTicks(records []results.Record) plot.Ticker {
	xs := make([]float64, len(records))
	for i := range records {
		xs[i] = axisValue(records[i].Scenario.Sweep)
	}
	span := xs[len(xs)-1] - xs[0]
	for i := 1; i < len(xs); i++ {
		if span <= 0 || (xs[i]-xs[i-1])/span < 0.04 {
			return plot.DefaultTicks{}
		}
	}
	ticks := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 4, 64)}
	}
	return ticks
}

// useLog says whether values span enough decades to need a log axis.
func useLog(vs []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vs {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return hi > 0 && hi/lo > 20
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.5), Dashes: plotutil.Dashes(i)}
}

// render draws p as SVG with its legend in a strip of its own at the
// right: gonum draws a legend inside the axes, over the curves.
func render(p *plot.Plot, name, title string) (*Plot, error) {
	legend := p.Legend
	p.Legend = plot.NewLegend()
	c := vgsvg.New(plotW, plotH)
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	legend.Top, legend.Left = true, true
	legend.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - vg.Points(12)
	legend.Draw(draw.Crop(dc, plotW-legendW+vg.Points(8), 0, 0, 0))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("results: plot %s: %w", name, err)
	}
	return &Plot{Name: name, Title: title, SVG: b.Bytes()}, nil
}
