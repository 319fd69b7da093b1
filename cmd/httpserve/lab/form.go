package lab

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness"
	"netmatrix/harness/catalog"
	"netmatrix/harness/link"
	"netmatrix/results/report"
)

// Limits bound what one run of the lab may ask for. A zero field takes
// the default in its comment.
type Limits struct {
	// MaxCount bounds the messages of each echo and stream run; zero
	// means 1000 (20 s of stream at its 20 ms pace).
	MaxCount int
	// MaxDuration bounds each bulk run; zero means 5 s.
	MaxDuration time.Duration
	// MaxPoints bounds the points of a sweep; zero means 6.
	MaxPoints int
	// MaxRun bounds a whole run's time: a run still going then is
	// stopped and shown as far as it got. Zero means 3 minutes.
	MaxRun time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxCount <= 0 {
		l.MaxCount = 1000
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = 5 * time.Second
	}
	if l.MaxPoints <= 0 {
		l.MaxPoints = 6
	}
	if l.MaxRun <= 0 {
		l.MaxRun = 3 * time.Minute
	}
	return l
}

// Form fields the page sends, and the link settings among them.
const (
	fieldProfile   = "profile"
	fieldTransport = "transport"
	fieldWorkload  = "workload"
	fieldCount     = "count"
	fieldDuration  = "duration"
	fieldSweep     = "sweep"
)

// linkFields are the link settings the page offers, as the form and
// compare's flags name them, and where each goes in the settings.
var linkFields = []struct {
	name  string
	field func(s *linkspec.Settings) *string
}{
	{"loss", func(s *linkspec.Settings) *string { return &s.Loss }},
	{"burst", func(s *linkspec.Settings) *string { return &s.Burst }},
	{"delay", func(s *linkspec.Settings) *string { return &s.Delay }},
	{"jitter", func(s *linkspec.Settings) *string { return &s.Jitter }},
	{"bandwidth", func(s *linkspec.Settings) *string { return &s.Bandwidth }},
	{"queue", func(s *linkspec.Settings) *string { return &s.Queue }},
}

// Defaults of the form, as the page first shows it.
const (
	defaultProfile  = "lossy"
	defaultCount    = 100
	defaultDuration = time.Second
	// stall is how long a reliable transport may make no progress before
	// its row is reported stalled: shorter than compare's, as a person
	// waits at the page.
	stall = 15 * time.Second
)

// request is a run the form asks for, checked.
type request struct {
	cfg       harness.Config
	scenarios []harness.Scenario
	sweep     bool
	// command is the same run as a compare command line, for a person
	// to run it again from a terminal, and for a saved run's record.
	command string
}

// parse reads and checks the form. Its errors are a sentence a person
// reads on the page: what was wrong and what would do.
func (lim Limits) parse(form url.Values) (*request, error) {
	lim = lim.withDefaults()
	s := linkspec.Settings{Profile: strings.TrimSpace(form.Get(fieldProfile)), CC: "reno", Seed: link.DefaultSeed}
	for _, f := range linkFields {
		*f.field(&s) = strings.TrimSpace(form.Get(f.name))
	}
	req := &request{cfg: harness.Config{Count: defaultCount, Duration: defaultDuration, Stall: stall}}
	var err error
	if req.cfg.Transports, err = catalog.ParseTransports(strings.Join(form[fieldTransport], ",")); err != nil {
		return nil, fmt.Errorf("transports: %w: tick at least one", err)
	}
	if req.cfg.Workloads, err = catalog.ParseWorkloads(strings.Join(form[fieldWorkload], ",")); err != nil {
		return nil, fmt.Errorf("workloads: %w: tick at least one", err)
	}
	if v := strings.TrimSpace(form.Get(fieldCount)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > lim.MaxCount {
			return nil, fmt.Errorf("messages per run: want a whole number from 1 to %d, not %q", lim.MaxCount, v)
		}
		req.cfg.Count = n
	}
	if v := strings.TrimSpace(form.Get(fieldDuration)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > lim.MaxDuration {
			return nil, fmt.Errorf("bulk duration: want 100ms to %s, not %q", lim.MaxDuration, v)
		}
		req.cfg.Duration = d
	}
	if err := req.cfg.Defaults().Validate(); err != nil {
		return nil, err
	}
	if sweep := strings.TrimSpace(form.Get(fieldSweep)); sweep != "" {
		param, points, err := linkspec.ParseSweep(sweep)
		if err != nil {
			return nil, fieldError(err)
		}
		if len(points) > lim.MaxPoints {
			return nil, fmt.Errorf("sweep: %d values; the lab runs at most %d", len(points), lim.MaxPoints)
		}
		if req.scenarios, err = s.Sweep(param, points, s.Scenario); err != nil {
			return nil, fieldError(err)
		}
		req.sweep = true
	} else {
		spec, err := s.ValidSpec()
		if s.Profile == "" && !s.Impaired() {
			// Nothing set is a perfect link, and named for it (every
			// profile is valid).
			spec, err = s.ProfileSpec("clean")
		}
		if err != nil {
			return nil, fieldError(err)
		}
		req.scenarios = []harness.Scenario{s.Scenario(spec)}
	}
	req.command = commandLine(form, req)
	return req, nil
}

// fieldError turns an error that names a flag ("-loss: ...") into one
// that names the field.
func fieldError(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "-"))
}

// commandLine is compare's command line for the run: the fields given,
// as compare's flags.
func commandLine(form url.Values, req *request) string {
	args := []string{"go run ./cmd/compare"}
	add := func(flag, v string) {
		if v = strings.TrimSpace(v); v != "" {
			args = append(args, "-"+flag, shellQuote(v))
		}
	}
	add("profile", form.Get(fieldProfile))
	for _, f := range linkFields {
		add(f.name, form.Get(f.name))
	}
	add("sweep", form.Get(fieldSweep))
	add("transports", strings.Join(req.cfg.Transports, ","))
	add("workload", strings.Join(req.cfg.Workloads, ","))
	add("count", strconv.Itoa(req.cfg.Count))
	add("duration", req.cfg.Duration.String())
	return strings.Join(args, " ")
}

// shellQuote leaves a value a shell reads as it is, and single-quotes
// any other.
func shellQuote(v string) string {
	if strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("%.,=:_+-", r))
	}) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// sections are the parts of a run's page in the order they show: a
// workload's tables and plots each, then a sweep's.
func (req *request) sections() []string {
	out := append([]string(nil), req.cfg.Workloads...)
	if req.sweep {
		out = append(out, report.SweepSection)
	}
	return out
}
