package web

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

// Run is one saved run as the dashboard found it.
type Run struct {
	Name    string // its folder under Root
	Records []results.Record
	Err     error // why it could not be read
}

// Runs reads every folder under Root that holds a run file, newest first
// (the names start with the date). A folder without one is not a run and
// is left out; a run file that cannot be read is kept with its error.
func (d *Dashboard) Runs() ([]Run, error) {
	entries, err := os.ReadDir(d.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	var out []Run
	for _, e := range entries {
		if !e.IsDir() || !validName(e.Name()) {
			continue
		}
		dir := filepath.Join(d.Root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, results.RunFile)); err != nil {
			continue
		}
		recs, err := results.LoadRun(dir)
		out = append(out, Run{Name: e.Name(), Records: recs, Err: err})
	}
	slices.SortFunc(out, func(a, b Run) int { return strings.Compare(b.Name, a.Name) })
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

// index serves /results: the saved runs as a list, newest first, each
// opening on a page of its own; with ?a=RUN&b=RUN, two runs side by side.
func (d *Dashboard) index(w http.ResponseWriter, r *http.Request) {
	runs, err := d.Runs()
	if err != nil {
		serverError(w, err)
		return
	}
	q, _ := url.ParseQuery(r.RawQuery)
	if a, b := q.Get("a"), q.Get("b"); a != "" || b != "" {
		d.beside(w, r, runs, a, b)
		return
	}
	var b strings.Builder
	pageStart(&b, "Saved runs")
	b.WriteString(`<h1>Saved runs</h1>
<p>Each run was saved by <code>compare -save</code> or the <a href="/lab">lab</a>; this page reads the folder `)
	b.WriteString(`<code>` + esc(d.Root) + `</code> at every request, so a new run shows on reload.
Open one, or pick two (A and B) to lay them side by side.</p>
`)
	if len(runs) == 0 {
		b.WriteString(`<p id="empty">No saved runs yet. Make one with <code>go run ./cmd/compare -save</code>, or in the <a href="/lab">lab</a>.</p>`)
	}
	writeRunList(&b, runs)
	pageEnd(&b)
	send(w, "text/html; charset=utf-8", b.String())
}

// writeRunList lists runs as a table (date, what ran, its transports and
// workloads) with a pair of radio buttons each, in a form that opens the
// two picked side by side; the runs that cannot be read follow, each
// with the reason.
func writeRunList(b *strings.Builder, runs []Run) {
	var good, bad []Run
	for _, rn := range runs {
		if rn.Err != nil {
			bad = append(bad, rn)
		} else {
			good = append(good, rn)
		}
	}
	if len(good) > 0 {
		fmt.Fprintf(b, "<form method=\"get\" action=\"%s\" id=\"pick\">\n<table id=\"runs\">\n", Prefix)
		b.WriteString("<thead><tr><th>date</th><th>run</th><th>path</th><th>transports</th><th>workloads</th><th>A</th><th>B</th></tr></thead>\n<tbody>\n")
		for i, rn := range good {
			fmt.Fprintf(b, "<tr><td class=\"text\">%s</td><td class=\"text\"><a href=\"%s/%s/\">%s</a></td><td class=\"text path\">%s</td><td class=\"text\">%s</td><td class=\"text\">%s</td>",
				esc(runDate(rn)), Prefix, esc(rn.Name), esc(report.Title(rn.Records)), esc(pathSummary(rn.Records)),
				esc(strings.Join(report.Transports(rn.Records), ", ")), esc(strings.Join(report.Workloads(rn.Records), ", ")))
			for j, side := range []string{"a", "b"} {
				checked := ""
				if i == j {
					checked = " checked"
				}
				fmt.Fprintf(b, `<td><input type="radio" name="%s" value="%s" aria-label="%s as %s"%s></td>`, side, esc(rn.Name), esc(rn.Name), strings.ToUpper(side), checked)
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n")
		if len(good) > 1 {
			b.WriteString("<p><button type=\"submit\">Lay A and B side by side</button></p>\n")
		}
		b.WriteString("</form>\n")
	}
	if len(bad) > 0 {
		b.WriteString("<ul id=\"unreadable\">\n")
		for _, rn := range bad {
			fmt.Fprintf(b, `<li class="unreadable"><b>%s</b>: unreadable: %s</li>`+"\n", esc(rn.Name), esc(rn.Err.Error()))
		}
		b.WriteString("</ul>\n")
	}
}

// pathSummary tells runs of one name apart: the path of a run of one,
// how many paths a run of several had (their names are its title).
func pathSummary(recs []results.Record) string {
	if len(recs) == 1 {
		return report.DescribePath(recs[0].Scenario)
	}
	return fmt.Sprintf("%d paths", len(recs))
}

// runDate is when a run started, to the minute, or the date its name
// begins with.
func runDate(rn Run) string {
	if len(rn.Records) > 0 && !rn.Records[0].Scenario.Started.IsZero() {
		return rn.Records[0].Scenario.Started.UTC().Format("2006-01-02 15:04")
	}
	if len(rn.Name) >= 10 {
		return rn.Name[:10]
	}
	return ""
}

// beside serves two saved runs side by side, each with its tables and
// plots, so a change of link or transport shows figure against figure.
func (d *Dashboard) beside(w http.ResponseWriter, r *http.Request, runs []Run, a, b string) {
	var picked []Run
	for _, name := range []string{a, b} {
		i := slices.IndexFunc(runs, func(rn Run) bool { return rn.Name == name })
		if name == "" || !validName(name) || i < 0 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "<!doctype html>\n<p>No saved run %q to lay beside another. See <a href=\"%s\">all saved runs</a>.</p>\n", esc(name), Prefix)
			return
		}
		picked = append(picked, runs[i])
	}
	var sb strings.Builder
	pageStart(&sb, a+" beside "+b)
	fmt.Fprintf(&sb, "<p><a href=\"%s\">all saved runs</a></p>\n<div class=\"beside\">\n", Prefix)
	for _, rn := range picked {
		sb.WriteString("<div class=\"side\">\n")
		if rn.Err != nil {
			fmt.Fprintf(&sb, "<h2>%s</h2>\n<p class=\"unreadable\">unreadable: %s</p>\n", esc(rn.Name), esc(rn.Err.Error()))
		} else {
			sb.WriteString(renderRun(rn, true))
		}
		sb.WriteString("</div>\n")
	}
	sb.WriteString("</div>\n")
	pageEnd(&sb)
	send(w, "text/html; charset=utf-8", sb.String())
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
	// Every run, read once: this one, and the others to lay beside it.
	runs, _ := d.Runs()
	rn := Run{Name: name}
	if i := slices.IndexFunc(runs, func(o Run) bool { return o.Name == name }); i >= 0 {
		rn = runs[i]
	} else {
		// A run Runs does not list (a folder reached by a symbolic link)
		// is still shown.
		rn.Records, rn.Err = results.LoadRun(dir)
	}
	var b strings.Builder
	pageStart(&b, name)
	fmt.Fprintf(&b, "<p><a href=\"%s\">all saved runs</a></p>\n", Prefix)
	if rn.Err != nil {
		fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"unreadable\">unreadable: %s</p>\n", esc(name), esc(rn.Err.Error()))
	} else {
		writeBesideForm(&b, runs, name)
		b.WriteString(renderRun(rn, true))
	}
	pageEnd(&b)
	send(w, "text/html; charset=utf-8", b.String())
}

// writeBesideForm offers to lay the run named beside another of runs.
func writeBesideForm(b *strings.Builder, runs []Run, name string) {
	var others []Run
	for _, rn := range runs {
		if rn.Name != name && rn.Err == nil {
			others = append(others, rn)
		}
	}
	if len(others) == 0 {
		return
	}
	fmt.Fprintf(b, "<form method=\"get\" action=\"%s\" class=\"beside-form\"><input type=\"hidden\" name=\"a\" value=\"%s\">\n", Prefix, esc(name))
	b.WriteString("<label>Lay beside <select name=\"b\">")
	for _, rn := range others {
		fmt.Fprintf(b, "<option value=\"%s\">%s: %s</option>", esc(rn.Name), esc(runDate(rn)), esc(report.Title(rn.Records)))
	}
	b.WriteString("</select></label> <button type=\"submit\">Show side by side</button></form>\n")
}

// renderRun is writeRun that survives a record the renderers choke on: a
// run that reads as JSON but makes no sense is shown as unreadable, and
// the rest of the page still comes.
func renderRun(rn Run, inline bool) (out string) {
	defer func() {
		if p := recover(); p != nil {
			out = fmt.Sprintf("<section class=\"run\" id=\"%s\"><h2>%s</h2><p class=\"unreadable\">unreadable: cannot render: %s</p></section>\n",
				esc(rn.Name), esc(rn.Name), esc(fmt.Sprint(p)))
		}
	}()
	var b strings.Builder
	writeRun(&b, rn, inline)
	return b.String()
}

// writeRun shows a run: what made it, its tables, its plots. Inline puts
// each plot's SVG in the page; otherwise the page links the saved file.
func writeRun(b *strings.Builder, rn Run, inline bool) {
	recs := rn.Records
	fmt.Fprintf(b, "<section class=\"run\" id=\"%s\">\n<h2>%s</h2>\n", esc(rn.Name), esc(report.Title(recs)))
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
	var verdict strings.Builder
	report.Terminal{Width: 100, Color: true}.WriteVerdict(&verdict, recs)
	b.WriteString(VerdictHTML(verdict.String()))
	for _, t := range report.Tables(recs) {
		b.WriteString(TableHTML(t))
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
			b.WriteString(PlotHTML(p))
		} else {
			fmt.Fprintf(b, "<figure class=\"plot\"><img src=\"%s/%s/%s.svg\" alt=\"%s\" loading=\"lazy\" width=\"672\" height=\"384\"></figure>\n",
				Prefix, esc(rn.Name), esc(p.Name), esc(p.Title))
		}
	}
	if len(plots) > 0 {
		b.WriteString("</div>\n")
	}
	b.WriteString("</section>\n")
}

// PlotHTML is a plot as a figure to sit in a page, its SVG inline.
func PlotHTML(p report.Plot) string {
	return fmt.Sprintf("<figure class=\"plot\" id=\"%s\">%s</figure>\n", esc(p.Name), svgElement(p.SVG))
}

// svgNamespaces are the SVG's namespace declarations: names, never
// fetched, and an HTML page's parser gives inline SVG its namespaces
// itself, so they go, and the page holds no URL that is not its own.
var svgNamespaces = regexp.MustCompile(`\s+xmlns(:xlink)?="http://www\.w3\.org/[^"]*"`)

// svgElement is a plot's SVG without its XML prolog and namespace
// declarations, to sit in HTML.
func svgElement(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return svgNamespaces.ReplaceAllString(s, "")
}

// VerdictHTML is the verdict (report.Terminal.WriteVerdict) as a block
// of preformatted text, its colours as classes.
func VerdictHTML(text string) string {
	if text == "" {
		return ""
	}
	return "<pre class=\"verdict\">" + ansiClasses.Replace(esc(text)) + "</pre>\n"
}

// ansiClasses turns the verdict's ANSI colours into spans the style
// sheet colours.
var ansiClasses = strings.NewReplacer(
	"\x1b[1m", `<span class="b">`, "\x1b[2m", `<span class="dim">`, "\x1b[31m", `<span class="bad">`,
	"\x1b[32m", `<span class="good">`, "\x1b[33m", `<span class="warn">`, "\x1b[0m", "</span>",
)

// TableHTML is a table as HTML: its title, head and rows, the errors of
// failed runs and its sentence.
func TableHTML(t report.Table) string {
	var b strings.Builder
	writeTable(&b, t)
	return b.String()
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

// Style is the dashboard's style sheet; the lab's pages use it too, so a
// table looks the same wherever it shows.
const Style = `body{font-family:system-ui,sans-serif;max-width:80em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:90%}
th,td{border:1px solid #ccc;padding:.2em .5em}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{max-width:60em}.error,.unreadable{color:#a00}
section.run{border-top:2px solid #888;margin-top:2em}
.plots{display:flex;flex-wrap:wrap;gap:1em}figure.plot{margin:0}
figure.plot svg,figure.plot img{width:672px;height:auto}
code{background:#f4f4f4;padding:0 .2em}
pre.verdict{background:#f8f8f4;border-left:4px solid #888;padding:.6em 1em;overflow-x:auto;font-size:90%}
.good{color:#176f2c}.warn{color:#9a6200}.bad{color:#b00020;font-weight:bold}.dim{color:#666}.b{font-weight:bold}
.beside{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}.beside .side{min-width:0;overflow-x:auto}
.beside figure.plot svg{width:100%}
#runs td,#runs th{text-align:left}#runs td.path{white-space:normal;max-width:28em}
td{white-space:nowrap}`

func pageStart(b *strings.Builder, title string) {
	fmt.Fprintf(b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n<style>%s</style>\n</head><body>\n", esc(title), Style)
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
