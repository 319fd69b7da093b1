package lab

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/link"
	"netmatrix/http"
	"netmatrix/results"
	"netmatrix/results/report"
	"netmatrix/results/web"
)

// Prefix is where the lab lives on the server.
const Prefix = "/lab"

// Lab serves the page and runs what it asks for, one run at a time.
type Lab struct {
	// Root is the folder of saved runs (the dashboard's, compare's
	// -save-dir): a saved lab run goes there.
	Root string
	// Limits bound each run; the zero Limits holds the defaults.
	Limits Limits

	// ctx ends every run when the server stops.
	ctx context.Context
	// heartbeat is how often a quiet stream says it is alive, and learns
	// whether its client still listens.
	heartbeat time.Duration

	mu   sync.Mutex
	runs int      // runs started, for their ids
	busy *liveRun // the run going now, nil if none
	last *doneRun // the last run that ended whole, to be saved
}

// liveRun is the run going now, for the answer to another.
type liveRun struct {
	id      string
	started time.Time
	from    string
}

// doneRun is a run that ended whole, kept until the next one ends.
type doneRun struct {
	id      string
	records []results.Record
}

// New returns a lab that saves under root; its runs end when ctx does.
func New(ctx context.Context, root string) *Lab {
	return &Lab{Root: root, ctx: ctx, heartbeat: time.Second}
}

// Register adds the lab's routes to mux.
func (l *Lab) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix, l.page)
	mux.HandleFunc("GET "+Prefix+"/static/*", l.static)
	mux.HandleFunc("POST "+Prefix+"/run", l.run)
	mux.HandleFunc("POST "+Prefix+"/save", l.save)
}

// claim takes the lab for a run from addr. While another run goes, it
// returns the sentence that says so instead.
func (l *Lab) claim(addr string) (id string, release func(), busy string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.busy; b != nil {
		return "", nil, fmt.Sprintf("The lab is busy: a run started %s ago (from %s) is still going, and the lab runs one at a time, "+
			"as runs side by side would share this machine's CPU and skew each other's figures. Wait for it to end, or stop it from its page.",
			time.Since(b.started).Round(time.Second), b.from)
	}
	l.runs++
	id = strconv.Itoa(l.runs)
	l.busy = &liveRun{id: id, started: time.Now(), from: addr}
	return id, func() {
		l.mu.Lock()
		l.busy = nil
		l.mu.Unlock()
	}, ""
}

// keep holds a finished run to be saved.
func (l *Lab) keep(id string, recs []results.Record) {
	l.mu.Lock()
	l.last = &doneRun{id: id, records: recs}
	l.mu.Unlock()
}

//go:embed static page.html
var files embed.FS

var pageTemplate = template.Must(template.ParseFS(files, "page.html"))

// profileOption is a profile in the page's list, with its figures, which
// the page shows as what an empty field means.
type profileOption struct {
	Name, About                                  string
	Loss, Burst, Delay, Jitter, Bandwidth, Queue string
}

// choice is a transport or workload box on the page.
type choice struct{ Name, About string }

// page serves the lab's page: the form with every profile, transport and
// workload from the catalog, and the limits.
func (l *Lab) page(w http.ResponseWriter, r *http.Request) {
	lim := l.Limits.withDefaults()
	data := struct {
		Style                 template.CSS
		Profiles              []profileOption
		Default               string
		Transports, Workloads []choice
		Count                 int
		Duration              string
		Limits                Limits
		SweepParams           string
	}{
		Style: template.CSS(web.Style), Default: defaultProfile, Count: defaultCount, Duration: defaultDuration.String(),
		Limits: lim, SweepParams: strings.Join(report.SweepParams, ", "),
	}
	for _, name := range link.Profiles() {
		spec, err := link.Profile(name)
		if err != nil {
			continue
		}
		data.Profiles = append(data.Profiles, profileFigures(name, spec))
	}
	aliases := catalog.Aliases()
	for _, name := range strings.Split(catalog.DefaultTransports, ",") {
		about := name
		if t, ok := catalog.LookupTransport(name); ok {
			about = t.About
		}
		if rows, ok := aliases[name]; ok {
			about = strings.Join(rows, " and ") + ": QUIC, all messages on one stream, and one stream per message"
		}
		data.Transports = append(data.Transports, choice{name, about})
	}
	for _, name := range catalog.WorkloadNames() {
		wl, _ := catalog.LookupWorkload(name)
		data.Workloads = append(data.Workloads, choice{name, wl.Title})
	}
	var b strings.Builder
	if err := pageTemplate.Execute(&b, data); err != nil {
		plain(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteString(b.String())
}

// profileFigures are a profile's figures as the fields take them. Where
// its directions differ (a 4g link's rates), the field shows the
// download's, and About says both.
func profileFigures(name string, spec link.Spec) profileOption {
	c := spec.Down.WithDefaults()
	p := profileOption{Name: name, About: spec.Describe(), Loss: strconv.FormatFloat(100*c.Loss, 'g', 3, 64) + "%",
		Delay: c.Delay.String(), Jitter: c.Jitter.String(), Queue: strconv.Itoa(c.Queue), Burst: "1", Bandwidth: "unlimited"}
	if c.BurstLen > 1 {
		p.Burst = strconv.FormatFloat(c.BurstLen, 'g', 3, 64)
	}
	if c.Bandwidth > 0 {
		p.Bandwidth = link.FormatBandwidth(c.Bandwidth)
	}
	return p
}

// static serves the page's script and style sheet, from this binary.
func (l *Lab) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.Path, Prefix+"/")
	b, err := fs.ReadFile(files, name)
	if err != nil || strings.Contains(name, "..") {
		plain(w, http.StatusNotFound, "no such file in the lab")
		return
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	ct, ok := types[path.Ext(name)]
	if !ok {
		plain(w, http.StatusNotFound, "no such file in the lab")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}
