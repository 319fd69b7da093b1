package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness"
	"netmatrix/results"
	"netmatrix/results/report"
	"netmatrix/results/resultstest"
)

// A sweep over three values makes three records, every transport on
// each, and -save writes them with the report and the plots.
func TestSweepMakesARecordPerValueAndSaves(t *testing.T) {
	dir := t.TempDir()
	// The echo timeout stays long enough for TCP's 200 ms minimum RTO: a
	// reliable echo that waits longer than it counts as stalled.
	code, out, errs := run(t, t.Context(), "-sweep", "loss=0,1,5%", "-delay", "2ms", "-cc", "reno",
		"-transports", "tcp,udp", "-count", "15", "-interval", "2ms", "-timeout", "700ms", "-duration", "150ms",
		"-format", "json", "-save", "-save-dir", dir)
	require.Equal(t, exitOK, code, errs)
	recs := records(t, out, 3)
	for i, want := range []string{"0%", "1%", "5%"} {
		sc := recs[i].Scenario
		require.NotNil(t, sc.Sweep)
		assert.Equal(t, "loss", sc.Sweep.Param)
		assert.Equal(t, want, sc.Sweep.Text)
		assert.Equal(t, "loss="+want, sc.Name)
		assert.Equal(t, sc.Sweep.Value, sc.Up.Loss, "the swept loss is on the link, both ways")
		assert.Equal(t, sc.Sweep.Value, sc.Down.Loss)
		assert.Equal(t, "reno", sc.CongestionControl)
		assert.Len(t, recs[i].Results, 7, "tcp and udp in echo, stream and bulk; http over tcp alone")
		assert.Contains(t, recs[i].Command, "-sweep loss=0,1,5%")
	}
	assert.Contains(t, errs, "compare: saved to ")

	runs, err := filepath.Glob(filepath.Join(dir, "*-sweep-loss-reno"))
	require.NoError(t, err)
	require.Len(t, runs, 1)
	for _, f := range []string{results.RunFile, report.ReportFile, "sweep-goodput.svg", "sweep-delivered.svg",
		"sweep-p99-delay.svg", "cdf-stream-loss-5pct.svg", "cdf-echo-loss-0pct.svg"} {
		assert.FileExists(t, filepath.Join(runs[0], f))
	}
	saved, err := results.LoadRun(runs[0])
	require.NoError(t, err)
	assert.Len(t, saved, 3)
	report, err := os.ReadFile(filepath.Join(runs[0], report.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(report), "Mathis")
	assert.Contains(t, string(report), "![")

	// The saved folder replays as it is.
	code, replayed, errs := run(t, t.Context(), "-replay", runs[0])
	require.Equal(t, exitOK, code, errs)
	// The row may carry the emulator-bound mark (tcp*) on a loaded machine.
	assert.Regexp(t, `\nloss=5%\s+tcp\*?\s`, replayed)
}

func TestReplayRendersEveryFormat(t *testing.T) {
	fixture := filepath.Join("..", "..", "results", "report", "testdata", "sweep.json")
	for format, marker := range map[string]string{
		"table":    "\nloss=5%  tcp ",
		"markdown": "| loss=5% | tcp |",
		"csv":      "scenario,link,sweep_param,sweep_value,transport",
		"json":     `"sweep":{"param":"loss"`,
	} {
		t.Run(format, func(t *testing.T) {
			code, out, errs := run(t, t.Context(), "-replay", fixture, "-format", format)
			require.Equal(t, exitOK, code, errs)
			assert.Contains(t, out, marker)
		})
	}
	t.Run("save", func(t *testing.T) {
		dir := t.TempDir()
		code, _, errs := run(t, t.Context(), "-replay", fixture, "-save", "-save-dir", dir, "-o", filepath.Join(dir, "out.md"), "-format", "markdown")
		require.Equal(t, exitOK, code, errs)
		assert.FileExists(t, filepath.Join(dir, "out.md"))
		runs, _ := filepath.Glob(filepath.Join(dir, "*-sweep-loss-reno", "sweep-goodput.svg"))
		assert.Len(t, runs, 1)
	})
}

// Every committed reference run replays: its folder renders as a table
// naming each of its scenarios, and saved again it makes the very report
// that is committed beside it, so the report says what run.json holds.
func TestCommittedRunsReplay(t *testing.T) {
	for _, dir := range resultstest.CommittedRuns(t, filepath.Join("..", "..", "results")) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			recs, err := results.LoadRun(dir)
			require.NoError(t, err)
			code, out, errs := run(t, t.Context(), "-replay", dir, "-wide")
			require.Equal(t, exitOK, code, errs)
			for _, rec := range recs {
				assert.Contains(t, out, rec.Scenario.Name)
			}

			saveDir := t.TempDir()
			code, _, errs = run(t, t.Context(), "-replay", dir, "-save", "-save-dir", saveDir, "-o", filepath.Join(saveDir, "out.txt"))
			require.Equal(t, exitOK, code, errs)
			saved, err := filepath.Glob(filepath.Join(saveDir, "*", report.ReportFile))
			require.NoError(t, err)
			require.Len(t, saved, 1)
			want, err := os.ReadFile(filepath.Join(dir, report.ReportFile))
			require.NoError(t, err)
			got, err := os.ReadFile(saved[0])
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "the committed report is what its run.json renders")
		})
	}
}

// The top-level README's example is the default run as compare prints it
// at 100 columns: the committed run it names, made with no flags but
// -save, replayed, matches the README's block line for line.
func TestReadmeExampleIsTheDefaultRun(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	readme := string(raw)
	_, section, ok := strings.Cut(readme, "## What the first run prints")
	require.True(t, ok, "the README's section on the first run")
	section, _, _ = strings.Cut(section, "\n## ")
	m := regexp.MustCompile("\\[`(results/[^`]+)`\\]").FindStringSubmatch(section)
	require.NotNil(t, m, "the section names the saved run its example shows")
	dir := filepath.Join("..", "..", filepath.FromSlash(m[1]))
	_, block, ok := strings.Cut(section, "```\n")
	require.True(t, ok, "the example block")
	block, _, ok = strings.Cut(block, "```\n")
	require.True(t, ok, "the example block ends")

	recs, err := results.LoadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "go run ./cmd/compare -save", recs[0].Command, "the example is of the default run")
	t.Setenv("COLUMNS", "100")
	code, out, errs := run(t, t.Context(), "-replay", dir)
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, out, block)
}

func TestReplayUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ content, want string }{
		"malformed": {`{"schema":1,"scenario":`, "not valid JSON"},
		"newer":     {`{"schema":99,"scenario":{"name":"x"}}`, "newer schema"},
		"foreign":   {`{"hello":"world"}`, "no schema version"},
		"empty":     {``, "no records"},
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, name+".json")
			require.NoError(t, os.WriteFile(f, []byte(tc.content), 0o644))
			code, out, errs := run(t, t.Context(), "-replay", f)
			assert.Equal(t, exitFail, code)
			assert.Empty(t, out)
			assert.Contains(t, errs, tc.want)
			assert.Contains(t, errs, f, "the message names the file")
		})
	}
	code, _, errs := run(t, t.Context(), "-replay", filepath.Join(dir, "missing.json"))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "no such file")
}

// sweepOf is the scenarios of -sweep sweep over the link lf describes.
func sweepOf(t *testing.T, sweep string, lf linkFlags) []harness.Scenario {
	t.Helper()
	param, pts, err := linkspec.ParseSweep(sweep)
	require.NoError(t, err)
	scs, err := lf.sweepScenarios(param, pts)
	require.NoError(t, err)
	return scs
}

func TestProgressBarShowsScenarioAndTimeLeft(t *testing.T) {
	scs := sweepOf(t, "loss=0,2%", linkFlags{kind: "emulated", Settings: linkspec.Settings{CC: "reno", Delay: "20ms", Seed: 1}})
	cfg := harness.Config{Transports: []string{"tcp"}, Workloads: []string{"bulk"}, Duration: 2 * time.Second}
	pl := newPlan(scs, cfg)
	assert.InDelta(t, (4*time.Second + 2*perRunSetup).Seconds(), pl.total().Seconds(), 0.01, "two bulk runs one after the other")

	var b bytes.Buffer
	p := newProgress(&b, pl, true)
	p.Start("loss=2%", "bulk", "tcp")
	time.Sleep(3 * barRefresh)
	p.Done("loss=2%", "bulk", "tcp", nil)
	p.stop()
	out := b.String()
	assert.Contains(t, out, "bulk on loss=2%: tcp", "names what runs")
	assert.Regexp(t, `about [0-9]+s left`, out)
	assert.Contains(t, out, "0/2 runs")
}

func TestPlanFollowsTheHarnessSchedule(t *testing.T) {
	scs := sweepOf(t, "loss=0,5%", linkFlags{kind: "emulated", Settings: linkspec.Settings{CC: "cubic", Delay: "10ms", Seed: 1}})
	cfg := harness.Config{Transports: []string{"tcp", "udp"}, Workloads: []string{"stream"}, Count: 100, Interval: 10 * time.Millisecond}
	pl := newPlan(scs, cfg)
	// Streams run side by side: the run takes as long as the slowest,
	// udp on the lossy path, which waits a timeout for stragglers.
	want := perRunSetup + time.Second + 10*time.Millisecond + time.Second
	assert.Equal(t, want, pl.total())
	now := time.Now()
	for _, k := range []string{"loss=0%/stream/tcp", "loss=0%/stream/udp", "loss=5%/stream/tcp"} {
		pl.start(k, now)
		pl.finish(k)
	}
	pl.start("loss=5%/stream/udp", now)
	assert.Equal(t, want-500*time.Millisecond, pl.remaining(now.Add(500*time.Millisecond)))
	pl.finish("loss=5%/stream/udp")
	assert.Zero(t, pl.remaining(now))

	// Rows the harness skips are not waited for: http runs over TCP
	// alone. Bulk runs come after the latency runs, one at a time.
	cfg.Workloads = []string{"stream", "http", "bulk"}
	cfg.Duration = time.Second
	pl = newPlan(scs, cfg)
	_, all := pl.counts()
	assert.Equal(t, 2*(2+1+2), all)
	assert.Greater(t, pl.total(), want+4*time.Second, "four bulk runs after the streams")
}

func TestCommandLineLeavesOutWhereOutputWent(t *testing.T) {
	got := commandLine([]string{"-sweep", "loss=0,1%", "-o", "/somewhere/out.txt", "-save", "-save-dir=/x/y", "-delay", "20ms", "-transports", "tcp udp"})
	assert.Equal(t, "go run ./cmd/compare -sweep loss=0,1% -save -delay 20ms -transports 'tcp udp'", got)
}

// The table format fits $COLUMNS when its output is not a terminal, and
// -wide prints every column whatever the width.
func TestTableFitsColumns(t *testing.T) {
	fixture := filepath.Join("..", "..", "results", "report", "testdata", "single.json")
	widest := func(out string) int {
		n := 0
		for line := range strings.SplitSeq(out, "\n") {
			n = max(n, utf8.RuneCountInString(line))
		}
		return n
	}
	for _, cols := range []int{80, 120} {
		t.Setenv("COLUMNS", strconv.Itoa(cols))
		code, out, errs := run(t, t.Context(), "-replay", fixture)
		require.Equal(t, exitOK, code, errs)
		assert.LessOrEqual(t, widest(out), cols)
		assert.Contains(t, out, "In short")
		assert.NotContains(t, out, "\x1b[", "no colour off a terminal")
	}
	t.Setenv("COLUMNS", "80")
	code, out, errs := run(t, t.Context(), "-replay", fixture, "-wide")
	require.Equal(t, exitOK, code, errs)
	assert.Greater(t, widest(out), 120)
	assert.Contains(t, out, "link drops up/down")
	assert.Contains(t, out, "goodput Mbit/s")
}
