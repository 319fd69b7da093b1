package web

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"netmatrix/http"
	"netmatrix/results"
	"netmatrix/results/report"
)

// Prefix is where the dashboard lives on the server.
const Prefix = "/results"

// Dashboard serves the runs saved under Root.
type Dashboard struct {
	// Root is the folder "compare -save" writes into (its -save-dir).
	Root string
}

// New returns a dashboard of the runs under root.
func New(root string) *Dashboard { return &Dashboard{Root: root} }

// Register adds the dashboard's routes to mux: the list at /results and
// every run below it.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix, d.index)
	mux.HandleFunc("GET "+Prefix+"/*", d.run)
}

// run is one saved run as the dashboard found it.
type run struct {
	name    string
	records []results.Record
	err     error // why it could not be read
}

// runs reads every folder under Root that holds a run file, newest first
// (the names start with the date). A folder without one is not a run and
// is left out; a run file that cannot be read is kept with its error.
func (d *Dashboard) runs() ([]run, error) {
	entries, err := os.ReadDir(d.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	var out []run
	for _, e := range entries {
		if !e.IsDir() || !validName(e.Name()) {
			continue
		}
		dir := filepath.Join(d.Root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, results.RunFile)); err != nil {
			continue
		}
		recs, err := results.LoadRun(dir)
		out = append(out, run{name: e.Name(), records: recs, err: err})
	}
	slices.SortFunc(out, func(a, b run) int { return strings.Compare(b.name, a.name) })
	return out, nil
}

// validName accepts what report.RunName makes, and so refuses anything
// that could leave Root ("..", slashes, escapes).
func validName(s string) bool {
	if s == "" || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func (d *Dashboard) index(w http.ResponseWriter, r *http.Request) {
	runs, err := d.runs()
	if err != nil {
		serverError(w, err)
		return
	}
	var b strings.Builder
	pageStart(&b, "Saved runs")
	b.WriteString(`<h1>Saved runs</h1>
<p>Each run was made with <code>compare -save</code>; this page reads the folder `)
	b.WriteString(`<code>` + esc(d.Root) + `</code> at every request, so a new run shows on reload.</p>
`)
	if len(runs) == 0 {
		b.WriteString(`<p id="empty">No saved runs yet. Make one with <code>go run ./cmd/compare -save</code>.</p>`)
	}
	b.WriteString("<ul id=\"runs\">\n")
	for _, rn := range runs {
		if rn.err != nil {
			fmt.Fprintf(&b, `<li class="unreadable"><b>%s</b>: unreadable: %s</li>`+"\n", esc(rn.name), esc(rn.err.Error()))
			continue
		}
		fmt.Fprintf(&b, `<li><a href="#%s">%s</a> (<a href="%s/%s/">page of its own</a>)</li>`+"\n",
			esc(rn.name), esc(report.Title(rn.records)), Prefix, esc(rn.name))
	}
	b.WriteString("</ul>\n")
	for _, rn := range runs {
		if rn.err == nil {
			b.WriteString(renderRun(rn, false))
		}
	}
	pageEnd(&b)
	send(w, "text/html; charset=utf-8", b.String())
}

// run serves /results/<run>/ (the run's page, its plots inline) and
// /results/<run>/<plot>.svg (one plot, as saved).
func (d *Dashboard) run(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.Path, Prefix+"/")
	name, file, _ := strings.Cut(rest, "/")
	if !validName(name) || (file != "" && !validName(file)) {
		notFound(w, r)
		return
	}
	dir := filepath.Join(d.Root, name)
	if file != "" {
		if !strings.HasSuffix(file, ".svg") {
			notFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			notFound(w, r)
			return
		}
		send(w, "image/svg+xml", string(b))
		return
	}
	if _, err := os.Stat(filepath.Join(dir, results.RunFile)); err != nil {
		notFound(w, r)
		return
	}
	recs, err := results.LoadRun(dir)
	var b strings.Builder
	pageStart(&b, name)
	fmt.Fprintf(&b, "<p><a href=\"%s\">all saved runs</a></p>\n", Prefix)
	if err != nil {
		fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"unreadable\">unreadable: %s</p>\n", esc(name), esc(err.Error()))
	} else {
		b.WriteString(renderRun(run{name: name, records: recs}, true))
	}
	pageEnd(&b)
	send(w, "text/html; charset=utf-8", b.String())
}

// renderRun is writeRun that survives a record the renderers choke on: a
// run that reads as JSON but makes no sense is shown as unreadable, and
// the rest of the page still comes.
func renderRun(rn run, inline bool) (out string) {
	defer func() {
		if p := recover(); p != nil {
			out = fmt.Sprintf("<section class=\"run\" id=\"%s\"><h2>%s</h2><p class=\"unreadable\">unreadable: cannot render: %s</p></section>\n",
				esc(rn.name), esc(rn.name), esc(fmt.Sprint(p)))
		}
	}()
	var b strings.Builder
	writeRun(&b, rn, inline)
	return b.String()
}

// writeRun shows a run: what made it, its tables, its plots. Inline puts
// each plot's SVG in the page; otherwise the page links the saved file.
func writeRun(b *strings.Builder, rn run, inline bool) {
	recs := rn.records
	fmt.Fprintf(b, "<section class=\"run\" id=\"%s\">\n<h2>%s</h2>\n", esc(rn.name), esc(report.Title(recs)))
	b.WriteString("<ul class=\"about\">\n")
	if cmd := recs[0].Command; cmd != "" {
		fmt.Fprintf(b, "<li>made with <code>%s</code></li>\n", esc(cmd))
	}
	env := recs[0].Environment
	fmt.Fprintf(b, "<li>machine: %s %s/%s, %d CPUs</li>\n", esc(env.GoVersion), esc(env.OS), esc(env.Arch), env.CPUs)
	if t := recs[0].Scenario.Started; !t.IsZero() {
		fmt.Fprintf(b, "<li>started %s</li>\n", esc(t.UTC().Format("2006-01-02 15:04 MST")))
	}
	fmt.Fprintf(b, "<li>workloads: %s</li>\n", esc(report.DescribeWorkloads(recs[0].Scenario)))
	for _, rec := range recs {
		fmt.Fprintf(b, "<li>path <b>%s</b>: %s</li>\n", esc(rec.Scenario.Name), esc(report.DescribePath(rec.Scenario)))
	}
	b.WriteString("</ul>\n")
	for _, t := range report.Tables(recs) {
		writeTable(b, t)
	}
	plots, err := report.Plots(recs)
	if err != nil {
		fmt.Fprintf(b, "<p class=\"unreadable\">plots: %s</p>\n", esc(err.Error()))
	}
	if len(plots) > 0 {
		b.WriteString("<h3>Plots</h3>\n<div class=\"plots\">\n")
	}
	for _, p := range plots {
		if inline {
			fmt.Fprintf(b, "<figure class=\"plot\" id=\"%s\">%s</figure>\n", esc(p.Name), svgElement(p.SVG))
		} else {
			fmt.Fprintf(b, "<figure class=\"plot\"><img src=\"%s/%s/%s.svg\" alt=\"%s\" loading=\"lazy\" width=\"672\" height=\"384\"></figure>\n",
				Prefix, esc(rn.name), esc(p.Name), esc(p.Title))
		}
	}
	if len(plots) > 0 {
		b.WriteString("</div>\n")
	}
	b.WriteString("</section>\n")
}

// svgElement is a plot's SVG without its XML prolog, to sit in HTML.
func svgElement(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s
}

func writeTable(b *strings.Builder, t report.Table) {
	fmt.Fprintf(b, "<h3>%s</h3>\n<table>\n<thead><tr>", esc(t.Title))
	for _, c := range t.Cols {
		fmt.Fprintf(b, "<th>%s</th>", esc(c.Head))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range row {
			class := "num"
			if i < len(t.Cols) && t.Cols[i].Left {
				class = "text"
			}
			fmt.Fprintf(b, "<td class=\"%s\">%s</td>", class, esc(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	for _, e := range t.Errors {
		fmt.Fprintf(b, "<p class=\"error\">error: %s</p>\n", esc(e))
	}
	if t.Note != "" {
		fmt.Fprintf(b, "<p class=\"note\">%s</p>\n", esc(t.Note))
	}
}

const style = `body{font-family:sans-serif;max-width:80em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:90%}
th,td{border:1px solid #ccc;padding:.2em .5em}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{max-width:60em}.error,.unreadable{color:#a00}
section.run{border-top:2px solid #888;margin-top:2em}
.plots{display:flex;flex-wrap:wrap;gap:1em}figure.plot{margin:0}
figure.plot svg,figure.plot img{width:672px;height:auto}
code{background:#f4f4f4;padding:0 .2em}`

func pageStart(b *strings.Builder, title string) {
	fmt.Fprintf(b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n<style>%s</style>\n</head><body>\n", esc(title), style)
}

func pageEnd(b *strings.Builder) { b.WriteString("</body></html>\n") }

func send(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	// Runs come and go on disk: never show a stale list.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteString(body)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "<!doctype html>\n<p>No saved run at <code>%s</code>. See <a href=\"%s\">all saved runs</a>.</p>\n", esc(r.Path), Prefix)
}

func serverError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.WriteString(err.Error() + "\n")
}

var esc = html.EscapeString
