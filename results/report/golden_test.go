package report

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"netmatrix/results"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from this build's output")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./results/report -update")
	// assert.Equal on strings prints a diff, which bytes do not get.
	assert.Equal(t, string(want), string(got), "%s differs; if the change is meant, run go test ./results/report -update and read the diff", path)
}

func loadFixture(t *testing.T, name string) []results.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := results.ReadJSON(f)
	require.NoError(t, err)
	return recs
}

// fixtures are real runs: single.json is the default compare run (a
// clean and a lossy emulated path), sweep.json a loss sweep with Reno,
// lfn.json TCP bulk runs on 1 Gbit/s x 50 ms (emulated and kernel, the
// default buffers, 8 and 16 MiB), on 10 Mbit/s and at 1% loss, each
// renamed for its table row.
var fixtures = []string{"single", "sweep", "lfn"}

// plotted are the fixtures with plots: lfn.json has one bulk run per
// path and no latencies, nothing to plot.
var plotted = []string{"single", "sweep"}

func TestGoldenFormats(t *testing.T) {
	formats := []struct {
		ext   string
		write func(io.Writer, []results.Record) error
	}{
		{"md", WriteMarkdown},
		{"csv", WriteCSV},
		{"json", results.WriteJSON},
	}
	for _, fx := range fixtures {
		recs := loadFixture(t, fx)
		for _, f := range formats {
			t.Run(fx+"."+f.ext, func(t *testing.T) {
				var b bytes.Buffer
				require.NoError(t, f.write(&b, recs))
				golden(t, filepath.Join("testdata", fx+"."+f.ext+".golden"), b.Bytes())
			})
		}
	}
}

func TestGoldenPlots(t *testing.T) {
	for _, fx := range plotted {
		t.Run(fx, func(t *testing.T) {
			recs := loadFixture(t, fx)
			plots, err := Plots(recs)
			require.NoError(t, err)
			require.NotEmpty(t, plots)
			dir := filepath.Join("testdata", fx+"-plots")
			if *update {
				require.NoError(t, os.RemoveAll(dir))
			}
			var names []string
			for _, p := range plots {
				names = append(names, p.Name+".svg")
				assert.True(t, bytes.HasPrefix(p.SVG, []byte("<?xml")), "%s is SVG", p.Name)
				golden(t, filepath.Join(dir, p.Name+".svg"), p.SVG)
			}
			// No stale golden file is left behind for a plot no longer drawn.
			files, err := filepath.Glob(filepath.Join(dir, "*.svg"))
			require.NoError(t, err)
			for i := range files {
				files[i] = filepath.Base(files[i])
			}
			slices.Sort(names)
			assert.Equal(t, names, files)
		})
	}
}

// The table of a single run is what cmd/compare has always printed: the
// sweep's extra tables appear only for sweeps.
func TestSingleRunHasNoSweepTables(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, loadFixture(t, "single")))
	assert.NotContains(t, b.String(), "sweep")
	assert.NotContains(t, b.String(), "Mathis")
	paragraphs := strings.Split(strings.TrimSpace(b.String()), "\n\n")
	last := strings.Split(paragraphs[len(paragraphs)-1], "\n")
	assert.Equal(t, "bulk: as fast as the path allows", last[0], "the last table")
	i := slices.IndexFunc(last, func(l string) bool { return strings.HasPrefix(l, "On clean: ") })
	assert.Positive(t, i, "the last table ends in its sentence")
}

// A run's plots and tables fall into sections, a workload's or the
// sweep's, and SectionPlots draws one section alone.
func TestSections(t *testing.T) {
	recs := loadFixture(t, "sweep")
	all, err := Plots(recs)
	require.NoError(t, err)
	var n int
	for _, section := range []string{"echo", "stream", "bulk", SweepSection} {
		ps, err := SectionPlots(recs, section)
		require.NoError(t, err)
		for _, p := range ps {
			assert.Equal(t, section, p.Section, p.Name)
			assert.True(t, strings.HasPrefix(p.Name, "cdf-"+section) || section == SweepSection && strings.HasPrefix(p.Name, "sweep-"), p.Name)
		}
		n += len(ps)
	}
	assert.Equal(t, len(all), n, "every plot is in one section")
	var sections []string
	for _, tb := range Tables(recs) {
		sections = append(sections, tb.Section)
	}
	assert.Equal(t, []string{"echo", "stream", "bulk", SweepSection, SweepSection}, sections)
}

// Two sweeps joined in one file (the fidelity grid) are not one sweep:
// no trend table or curve mixes their points, no plot is drawn, and the
// report names every command that made them.
func TestJoinedRunsAreNotOneSweep(t *testing.T) {
	first := loadFixture(t, "sweep")
	second := slices.Clone(first)
	for i := range second {
		second[i].Scenario.Started = second[i].Scenario.Started.Add(time.Hour)
		second[i].Command = "go run ./cmd/compare -seed 2"
	}
	var js bytes.Buffer
	require.NoError(t, results.WriteJSON(&js, append(slices.Clone(first), second...)))
	joined, err := results.ReadJSON(&js)
	require.NoError(t, err)
	require.Len(t, joined, 2*len(first))

	require.True(t, isSweep(first))
	assert.False(t, isSweep(joined))
	plots, err := Plots(joined)
	require.NoError(t, err)
	assert.Empty(t, plots)
	for _, tb := range Tables(joined) {
		assert.NotEqual(t, SweepSection, tb.Section, tb.Title)
	}
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, joined))
	assert.Contains(t, md.String(), "# 2 sweeps of loss joined: ")
	assert.Contains(t, md.String(), first[0].Command+"\n")
	assert.Contains(t, md.String(), "go run ./cmd/compare -seed 2\n")
	assert.Contains(t, RunName(joined), "-2-sweeps-loss")
}
