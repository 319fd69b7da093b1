package lab

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"netmatrix/harness"
	"netmatrix/http"
	"netmatrix/results"
	"netmatrix/results/report"
	"netmatrix/results/web"
)

// maxForm bounds the form a run is asked with: a few short fields.
const maxForm = 16 << 10

// The events of a run, in the order they come: plan first, then start
// and row for each run of a transport and workload as it starts and
// ends, section whenever a row changed a section's tables or plots,
// then verdict and end. A comment (": ping") comes every heartbeat.
type (
	planEvent struct {
		ID         string   `json:"id"`
		Rows       int      `json:"rows"`
		Sections   []string `json:"sections"`
		Command    string   `json:"command"`
		MaxSeconds float64  `json:"max_seconds"`
	}
	rowEvent struct {
		Scenario  string `json:"scenario"`
		Workload  string `json:"workload"`
		Transport string `json:"transport"`
		// Status is "running" (start), "ok", "failed" or "interrupted".
		Status  string  `json:"status"`
		Error   string  `json:"error,omitempty"`
		Done    int     `json:"done"`
		Seconds float64 `json:"seconds,omitempty"`
	}
	sectionEvent struct {
		ID   string `json:"id"`
		HTML string `json:"html"`
	}
	endEvent struct {
		ID      string  `json:"id"`
		OK      bool    `json:"ok"`
		Message string  `json:"message"`
		Savable bool    `json:"savable"`
		Seconds float64 `json:"seconds"`
	}
)

// run serves POST /lab/run: it checks the form (400 with what is wrong),
// takes the lab (409 while another run goes), and runs the request in
// this process, streaming its progress and results as server-sent
// events until it ends, the client goes or the server stops.
func (l *Lab) run(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err == nil && len(body) > maxForm {
		err = errors.New("the form is larger than a lab run needs")
	}
	var form url.Values
	if err == nil {
		if form, err = url.ParseQuery(string(body)); err != nil {
			err = fmt.Errorf("the form is not URL-encoded: %w", err)
		}
	}
	var req *request
	if err == nil {
		req, err = l.Limits.parse(form)
	}
	if err != nil {
		plain(w, http.StatusBadRequest, err.Error())
		return
	}
	id, release, busy := l.claim(r.RemoteAddr)
	if busy != "" {
		plain(w, http.StatusConflict, busy)
		return
	}
	defer release()
	l.stream(w, id, req)
}

// plain answers with a status and a sentence.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.WriteString(msg + "\n")
}

// stream runs req and tells the client how it goes.
func (l *Lab) stream(w http.ResponseWriter, id string, req *request) {
	lim := l.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(l.ctx, lim.MaxRun)
	defer cancel()
	start := time.Now()
	together, alone := harness.Plan(req.scenarios, req.cfg.Defaults())
	col := &collector{wake: make(chan struct{}, 1)}
	type outcome struct {
		records []results.Record
		err     error
	}
	finished := make(chan outcome, 1)
	go func() {
		recs, err := harness.Run(ctx, req.scenarios, req.cfg, col)
		finished <- outcome{recs, err}
	}()

	out := &sse{w: w}
	out.start()
	out.event("plan", planEvent{ID: id, Rows: len(together) + len(alone), Sections: req.sections(),
		Command: req.command, MaxSeconds: lim.MaxRun.Seconds()})
	live := newLiveRecords(req)
	heartbeat := time.NewTicker(l.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-col.wake:
			l.forward(out, live, col.take())
		case <-heartbeat.C:
			out.ping()
		case o := <-finished:
			l.forward(out, live, col.take())
			l.finish(out, id, req, o.records, o.err, ctx, time.Since(start))
			return
		}
		if out.err != nil {
			// The page went away: stop the run, and wait for it, so
			// nothing it started outlives the request.
			cancel()
		}
	}
}

// forward sends what the rows that ended changed: each row's progress,
// and each section they touched, drawn again with every row so far.
func (l *Lab) forward(out *sse, live *liveRecords, evs []progressEvent) {
	dirty := map[string]bool{}
	for _, ev := range evs {
		if ev.result == nil {
			out.event("row", rowEvent{Scenario: ev.scenario, Workload: ev.workload, Transport: ev.transport, Status: "running", Done: live.done})
			continue
		}
		r := *ev.result
		live.add(ev.index, r)
		status := "ok"
		switch {
		case r.Interrupted:
			status = "interrupted"
		case r.Error != "":
			status = "failed"
		}
		out.event("row", rowEvent{Scenario: ev.scenario, Workload: r.Workload, Transport: r.Transport, Status: status,
			Error: r.Error, Done: live.done, Seconds: ev.took.Seconds()})
		dirty[r.Workload] = true
		if live.sweep {
			dirty[report.SweepSection] = true
		}
	}
	if out.err != nil {
		return // no one to draw for
	}
	drawSections(out, live.records, slices.DeleteFunc(live.sections(), func(s string) bool { return !dirty[s] }))
}

// drawSections sends each of sections drawn from recs, their tables
// made once for all of them.
func drawSections(out *sse, recs []results.Record, sections []string) {
	tables := sync.OnceValue(func() []report.Table { return report.Tables(recs) })
	for _, section := range sections {
		out.event("section", sectionEvent{ID: section, HTML: sectionHTML(recs, tables, section)})
	}
}

// finish sends the run's last word: every section drawn from the final
// records, the verdict, and how the run ended. A run that ended whole is
// kept to be saved.
func (l *Lab) finish(out *sse, id string, req *request, recs []results.Record, err error, ctx context.Context, took time.Duration) {
	end := endEvent{ID: id, OK: err == nil, Seconds: took.Seconds(), Message: "done"}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		end.Message = fmt.Sprintf("stopped after %s: the lab runs at most %s at a time; what ran until then is shown", took.Round(time.Second), l.Limits.withDefaults().MaxRun)
	case l.ctx.Err() != nil:
		end.Message = "stopped: the server is shutting down"
	case err != nil:
		end.Message = "stopped: " + err.Error()
	}
	for i := range recs {
		recs[i].Command = req.command
		results.Sort(recs[i].Results)
	}
	failed := 0
	for _, rec := range recs {
		for _, r := range rec.Results {
			if r.Error != "" && !r.Interrupted {
				failed++
			}
		}
	}
	if err == nil && failed > 0 {
		end.Message = fmt.Sprintf("done; %d of the runs failed (see the errors under their tables)", failed)
	}
	if err == nil && len(recs) > 0 {
		// An interrupted run is shown as far as it got, but not saved as
		// if it were whole.
		end.Savable = true
		l.keep(id, recs)
	}
	if out.err != nil || len(recs) == 0 {
		out.event("end", end)
		return
	}
	drawSections(out, recs, req.sections())
	var v strings.Builder
	report.Terminal{Width: 110, Color: true}.WriteVerdict(&v, recs)
	out.event("verdict", sectionEvent{ID: "verdict", HTML: web.VerdictHTML(v.String())})
	out.event("end", end)
}

// sectionHTML draws one section of a run: its tables, then its plots.
// Rows a renderer cannot draw (a case it never met) cost their section,
// not the run and its stream.
func sectionHTML(recs []results.Record, tables func() []report.Table, section string) (out string) {
	defer func() {
		if p := recover(); p != nil {
			out = fmt.Sprintf("<p class=\"error\">%s: cannot draw: %s</p>\n", html.EscapeString(section), html.EscapeString(fmt.Sprint(p)))
		}
	}()
	var b strings.Builder
	for _, t := range tables() {
		if t.Section == section {
			b.WriteString(web.TableHTML(t))
		}
	}
	plots, err := report.SectionPlots(recs, section)
	if err != nil {
		fmt.Fprintf(&b, "<p class=\"error\">plots: %s</p>\n", html.EscapeString(err.Error()))
	}
	if len(plots) > 0 {
		b.WriteString("<div class=\"plots\">\n")
		for _, p := range plots {
			b.WriteString(web.PlotHTML(p))
		}
		b.WriteString("</div>\n")
	}
	return b.String()
}

// progressEvent is a run of a transport and workload starting (result
// nil) or ending.
type progressEvent struct {
	scenario, workload, transport string
	index                         int // the scenario's, among the run's; set when it ends
	result                        *results.Result
	took                          time.Duration
}

// collector is the harness's Progress for a lab run: it queues what
// happens, from the harness's goroutines, for the streaming loop, and
// never blocks them.
type collector struct {
	mu      sync.Mutex
	events  []progressEvent
	started map[string]time.Time
	wake    chan struct{} // has a value while events wait
}

var _ harness.RowListener = (*collector)(nil)

func (c *collector) push(ev progressEvent) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *collector) Start(scenario, workload, transport string) {
	c.mu.Lock()
	if c.started == nil {
		c.started = map[string]time.Time{}
	}
	c.started[scenario+"/"+workload+"/"+transport] = time.Now()
	c.mu.Unlock()
	c.push(progressEvent{scenario: scenario, workload: workload, transport: transport})
}

func (c *collector) Done(scenario, workload, transport string, err error) {}

func (c *collector) Row(index int, rec *results.Record, r results.Result) {
	scenario := rec.Scenario.Name
	c.mu.Lock()
	took := time.Since(c.started[scenario+"/"+r.Workload+"/"+r.Transport])
	c.mu.Unlock()
	c.push(progressEvent{scenario: scenario, workload: r.Workload, transport: r.Transport, index: index, result: &r, took: took})
}

// take hands over the events queued so far.
func (c *collector) take() []progressEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	evs := c.events
	c.events = nil
	return evs
}

// liveRecords are a run's records as its rows end: what the tables and
// plots are drawn from while it runs.
type liveRecords struct {
	records []results.Record
	sweep   bool
	done    int
}

func newLiveRecords(req *request) *liveRecords {
	l := &liveRecords{sweep: req.sweep}
	for _, sc := range req.scenarios {
		l.records = append(l.records, results.Record{Schema: results.Schema, Scenario: sc.Record, Environment: results.HostEnvironment()})
	}
	return l
}

// add puts a row's result in the record of the scenario it is the
// index of, in table order, as the engine does for a run that ends
// whole: the rows of a run cut short, and of one still going, come in
// the order they ended.
func (l *liveRecords) add(scenario int, r results.Result) {
	l.done++
	if scenario < 0 || scenario >= len(l.records) {
		return
	}
	l.records[scenario].Results = append(l.records[scenario].Results, r)
	results.Sort(l.records[scenario].Results)
}

// sections lists the sections the rows so far have a part in.
func (l *liveRecords) sections() []string {
	out := report.Workloads(l.records)
	if l.sweep {
		out = append(out, report.SweepSection)
	}
	return out
}
