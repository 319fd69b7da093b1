package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness"
	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link"
	"netmatrix/results"
	"netmatrix/results/report"
)

// Exit codes: 2 for a command line that cannot run, 1 for a run that
// failed or had a failed measurement.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Main runs the command with args and returns its exit code. It is the
// whole program but for signal handling, so tests drive it directly.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "serve" {
		return serveMain(ctx, args[1:], stdout, stderr)
	}
	c, err := parseCompare(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if c.replay != "" {
		return c.replayRun(stdout, stderr)
	}
	if code, done := c.kernelFirst(ctx, stdout, stderr); done {
		return code
	}
	return c.run(ctx, stdout, stderr)
}

// compareCmd is a parsed command line of the main job.
type compareCmd struct {
	cfg       harness.Config
	link      linkFlags
	target    harness.Target
	remote    remoteFlags
	format    string
	out       string
	scenarios []harness.Scenario
	// sweep is -sweep as given; the scenarios are its points.
	sweep string
	// save and saveDir: write the run's JSON, Markdown and plots to a
	// new folder under saveDir.
	save    bool
	saveDir string
	// replay is a saved run's JSON to render instead of running.
	replay string
	// command is the command line, recorded with the run.
	command string
	// args is the command line as given, to run it again in a user
	// namespace (rootless_linux.go).
	args []string
	// forceTTY draws the progress bar on a stderr that is not a
	// terminal, for tests.
	forceTTY bool
	// wide prints every column of the table format, whatever the
	// terminal's width.
	wide bool
}

// formats are the renderings of -format.
var formats = map[string]func(io.Writer, []results.Record) error{
	"table":    report.WriteTable,
	"markdown": report.WriteMarkdown,
	"csv":      report.WriteCSV,
	"json":     results.WriteJSON,
}

// replayFlags are the flags that still mean something with -replay:
// how to render and where to put it.
var replayFlags = []string{"replay", "format", "o", "save", "save-dir", "wide"}

func parseCompare(args []string, stderr io.Writer) (*compareCmd, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c          compareCmd
		transports = fs.String("transports", catalog.DefaultTransports, transportsHelp())
		workloads  = fs.String("workload", strings.Join(catalog.WorkloadNames(), ","), "workloads to run, comma-separated: "+strings.Join(catalog.WorkloadNames(), ", "))
		rate       = fs.String("rate", "auto", "UDP bulk target rate (100mbit, 1gbit); 0 sends as fast as the socket takes datagrams; auto is the link's rate limit, or 100mbit on an unlimited emulated link, or unlimited on loopback")
		bulkBytes  = fs.String("bytes", "0", "bulk: transfer this much (10MiB, 1GB) and wait for all of it, to show completion time; 0 runs for -duration")
		reverse    = fs.Bool("reverse", false, "bulk and stream: the server sends and the client receives (a download), on any path")
		bidir      = fs.Bool("bidir", false, "bulk and stream: both ways at once, a row for each direction")
	)
	fs.IntVar(&c.cfg.Count, "count", 150, "messages per echo and stream run")
	fs.DurationVar(&c.cfg.Interval, "interval", 20*time.Millisecond, "stream pacing: one message every interval")
	fs.DurationVar(&c.cfg.EchoInterval, "echo-interval", 0, "echo pacing; 0 keeps one message in flight (ping-pong)")
	fs.IntVar(&c.cfg.Size, "size", 160, "echo and stream message size in bytes, 16-byte header included")
	fs.DurationVar(&c.cfg.Duration, "duration", time.Second, "how long each bulk run sends")
	fs.DurationVar(&c.cfg.Timeout, "timeout", time.Second, "how long a datagram transport's echo reply may take before the probe counts as lost")
	fs.DurationVar(&c.cfg.Stall, "stall", 30*time.Second, "how long a reliable transport may go without progress before the run reports it stalled")
	fs.BoolVar(&c.cfg.Nagle, "nagle", false, "leave Nagle's algorithm on for TCP (off by default: TCP_NODELAY)")
	fs.IntVar(&c.cfg.DatagramSize, "dgram-size", 1400, "UDP bulk datagram size in bytes")
	c.link.register(fs)
	c.remote.register(fs)
	fs.StringVar(&c.target.URL, "target", "", "measure echo against a running echo server: tcp://HOST:PORT, udp://HOST:PORT or quic://HOST:PORT")
	fs.StringVar(&c.target.Fingerprint, "fingerprint", "", "with a quic:// -target: the server certificate's SHA-256 as `HEX`, which compare serve prints")
	fs.StringVar(&c.format, "format", "table", "output: table, markdown, csv or json (a line per row as it finishes: a record holding that row, which -replay and results.ReadJSON join back into the run)")
	fs.BoolVar(&c.wide, "wide", false, "table format: print every column under its full heading, however wide the terminal (by default the columns that matter most are chosen to fit it)")
	fs.StringVar(&c.out, "o", "", "write the output to this file instead of standard output")
	fs.StringVar(&c.sweep, "sweep", "", "run one emulated path per value of a link setting, every transport on each: loss=0,0.5,1,2,5,10% or delay=0,20,80ms, jitter=..., bandwidth=1,10,100mbit")
	fs.BoolVar(&c.save, "save", false, "also write the run's JSON, Markdown report and SVG plots to a new folder <date>-<scenario> under -save-dir")
	fs.StringVar(&c.saveDir, "save-dir", "results", "where -save puts its folders")
	fs.StringVar(&c.replay, "replay", "", "render a saved run (its folder or run.json, or any file of -format json output) instead of running one")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: compare [flags]\n       compare -remote HOST:PORT -key FILE [flags]\n       compare -replay FILE.json [-format F] [-o FILE] [-save]\n       compare serve [-listen ADDR] [-key FILE] [-sockperf]\n\nRuns TCP, UDP and QUIC side by side over the same path and prints what each gave the application.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*compareCmd, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "compare: %v\n", err)
		fs.Usage()
		return nil, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if _, ok := formats[c.format]; !ok {
		return fail("-format %q: want table, markdown, csv or json", c.format)
	}
	c.command = commandLine(args)
	c.args = args
	if c.replay != "" {
		var extra []string
		fs.Visit(func(f *flag.Flag) {
			if !slices.Contains(replayFlags, f.Name) {
				extra = append(extra, "-"+f.Name)
			}
		})
		if len(extra) > 0 {
			return fail("-replay renders a saved run; %s would change a run, not its rendering", strings.Join(extra, ", "))
		}
		return &c, nil
	}
	var err error
	if c.cfg.Transports, err = catalog.ParseTransports(*transports); err != nil {
		return fail("%v", err)
	}
	if c.cfg.Workloads, err = catalog.ParseWorkloads(*workloads); err != nil {
		return fail("%v", err)
	}
	if c.cfg.BulkRate, err = parseRate(*rate); err != nil {
		return fail("-rate: %v", err)
	}
	if c.cfg.BulkBytes, err = link.ParseSize(*bulkBytes); err != nil {
		return fail("-bytes: %v", err)
	}
	switch {
	case *reverse && *bidir:
		return fail("-reverse and -bidir: choose one (-bidir already runs the server's direction)")
	case *reverse:
		c.cfg.Direction = half.Down
	case *bidir:
		c.cfg.Direction = harness.Bidir
	}
	if err := c.cfg.Validate(); err != nil {
		return fail("%v", err)
	}
	if c.scenarios, err = c.remote.check(fs); err != nil {
		return fail("%v", err)
	}
	if c.scenarios != nil {
		return &c, nil
	}
	if c.target.URL != "" {
		if c.cfg.Direction != "" {
			return fail("-reverse and -bidir run bulk and stream; -target measures echo alone")
		}
		if c.sweep != "" {
			return fail("-sweep runs on the emulated path; it cannot measure a -target")
		}
		if _, _, err := harness.ParseTarget(c.target.URL); err != nil {
			return fail("-target: %v", err)
		}
		return &c, nil
	}
	if c.sweep != "" {
		param, points, err := linkspec.ParseSweep(c.sweep)
		if err != nil {
			return fail("%v", err)
		}
		if c.scenarios, err = c.link.sweepScenarios(param, points); err != nil {
			return fail("%v", err)
		}
		return &c, nil
	}
	if c.scenarios, err = c.link.scenarios(); err != nil {
		return fail("%v", err)
	}
	return &c, nil
}

// transportsHelp lists the rows -transports takes, from the catalog.
func transportsHelp() string {
	var rows []string
	for _, t := range catalog.Transports() {
		rows = append(rows, t.Name+" ("+t.About+")")
	}
	var aliases []string
	for name, rows := range catalog.Aliases() {
		aliases = append(aliases, name+" means "+strings.Join(rows, " and "))
	}
	slices.Sort(aliases)
	return "transports to compare, comma-separated: " + strings.Join(rows, ", ") + "; " + strings.Join(aliases, "; ")
}

// commandLine is args as a shell would take them back, after the
// command's name: what a saved run records as the way to make it again.
// Where the output went (-o, -save-dir) is left out: it is a path of the
// machine that made the run, and says nothing about the run.
func commandLine(args []string) string {
	parts := []string{"go run ./cmd/compare"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "o" || name == "save-dir") {
			if !hasValue {
				i++
			}
			continue
		}
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool { return !isShellSafe(r) }) {
			parts = append(parts, a)
			continue
		}
		parts = append(parts, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return strings.Join(parts, " ")
}

func isShellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:%+@", r)
}

func (c *compareCmd) run(ctx context.Context, stdout, stderr io.Writer) int {
	if !c.remote.open(ctx, stderr) {
		return exitFail
	}
	defer c.remote.close()
	var pl *plan
	if c.target.URL == "" {
		pl = newPlan(c.scenarios, c.cfg)
	}
	prog := newProgress(stderr, pl, c.forceTTY)
	var (
		records []results.Record
		err     error
		rows    *rowWriter
	)
	if c.target.URL != "" {
		var rec results.Record
		rec, err = harness.RunTarget(ctx, c.target, c.cfg, prog)
		records = []results.Record{rec}
	} else {
		var p harness.Progress = prog
		if c.format == "json" {
			// A row each as it finishes, so a long run can be watched
			// and piped.
			w, closeOut, oerr := c.openOut(stdout)
			if oerr != nil {
				prog.stop()
				fmt.Fprintf(stderr, "compare: %v\n", oerr)
				return exitFail
			}
			defer closeOut()
			rows = &rowWriter{Progress: prog, w: w, command: c.command}
			p = rows
		}
		records, err = harness.Run(ctx, c.scenarios, c.cfg, p)
		if rows != nil {
			rows.flush()
		}
	}
	prog.stop()
	if err != nil && len(records) == 0 {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	for i := range records {
		records[i].Command = c.command
	}
	if rows != nil && rows.err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", rows.err)
		return exitFail
	}
	// An interrupted run is shown as far as it got, but not saved as if
	// it were whole.
	if rerr := c.output(stdout, stderr, records, rows != nil, c.save && err == nil); rerr != nil {
		fmt.Fprintf(stderr, "compare: %v\n", rerr)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	for _, rec := range records {
		for _, r := range rec.Results {
			if r.Error != "" {
				return exitFail
			}
		}
	}
	return exitOK
}

// rowWriter writes each row of a run as a JSON line as soon as it is
// done (harness.RowListener): a record of its own, which
// results.ReadJSON joins back into the run's records, in the order their
// scenarios first appear. So that this is the command's order, a row
// waits until every earlier scenario has shown a row (a moment: the
// first rows of all scenarios run side by side); flush writes the rest.
type rowWriter struct {
	harness.Progress
	w       io.Writer
	command string
	err     error // the first write that failed

	shown int // scenarios 0..shown-1 have had a row written
	held  map[int][]results.Record
}

func (rw *rowWriter) Row(scenario int, rec *results.Record, r results.Result) {
	row := *rec
	row.Command, row.Results = rw.command, []results.Result{r}
	if scenario > rw.shown {
		if rw.held == nil {
			rw.held = map[int][]results.Record{}
		}
		rw.held[scenario] = append(rw.held[scenario], row)
		return
	}
	rw.write(row)
	if scenario == rw.shown {
		rw.shown++
		for rows, ok := rw.held[rw.shown]; ok; rows, ok = rw.held[rw.shown] {
			delete(rw.held, rw.shown)
			rw.shown++
			for _, row := range rows {
				rw.write(row)
			}
		}
	}
}

// flush writes the rows still held, in scenario order.
func (rw *rowWriter) flush() {
	for _, k := range slices.Sorted(maps.Keys(rw.held)) {
		for _, row := range rw.held[k] {
			rw.write(row)
		}
	}
	rw.held = nil
}

func (rw *rowWriter) write(row results.Record) {
	if rw.err == nil {
		rw.err = results.WriteJSON(rw.w, []results.Record{row})
	}
}

// openOut is where the output goes: -o, or stdout.
func (c *compareCmd) openOut(stdout io.Writer) (io.Writer, func(), error) {
	if c.out == "" {
		return stdout, func() {}, nil
	}
	f, err := os.Create(c.out)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// output renders records in -format to -o or stdout, unless they were
// written row by row already (written), and, when save is set, writes the
// run's folder.
func (c *compareCmd) output(stdout, stderr io.Writer, records []results.Record, written, save bool) error {
	if !written {
		w, closeOut, err := c.openOut(stdout)
		if err != nil {
			return err
		}
		defer closeOut()
		write := formats[c.format]
		if c.format == "table" {
			write = terminal(w, c.wide).Write
		}
		if err := write(w, records); err != nil {
			return err
		}
	}
	if !save {
		return nil
	}
	dir, err := report.Save(c.saveDir, records)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "compare: saved to %s\n", dir)
	return nil
}

// replayRun renders a saved run as if it had just been made.
func (c *compareCmd) replayRun(stdout, stderr io.Writer) int {
	// A saved run's folder stands for its run file.
	if st, err := os.Stat(c.replay); err == nil && st.IsDir() {
		c.replay = filepath.Join(c.replay, results.RunFile)
	}
	f, err := os.Open(c.replay)
	if err != nil {
		fmt.Fprintf(stderr, "compare: -replay: %v\n", err)
		return exitFail
	}
	records, err := results.ReadJSON(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "compare: -replay %s: %v\n", c.replay, err)
		return exitFail
	}
	if err := c.output(stdout, stderr, records, false, c.save); err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	return exitOK
}
