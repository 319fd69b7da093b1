package web

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"netmatrix/results"
)

func TestValidNameKeepsRequestsInsideRoot(t *testing.T) {
	for _, ok := range []string{"2026-11-25-sweep-loss-reno", "2026-11-25-clean-lossy-2", "sweep-goodput.svg"} {
		assert.True(t, validName(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", ".hidden", "a/b", `a\b`, "%2e%2e", "a b", "ä"} {
		assert.False(t, validName(bad), bad)
	}
}

// A record that reads as JSON but that the renderers cannot draw is shown
// as unreadable in its own section; the page around it still renders.
func TestRenderRunSurvivesWhatItCannotDraw(t *testing.T) {
	out := renderRun(Run{Name: "odd", Records: nil}, false)
	assert.Contains(t, out, `class="unreadable">unreadable: cannot render`)
	assert.True(t, strings.HasPrefix(out, `<section class="run" id="odd">`))
}

func TestRenderRunShowsTablesAndPlots(t *testing.T) {
	recs := []results.Record{{
		Schema:   results.Schema,
		Scenario: results.Scenario{Name: "x<y", Link: "loopback"},
		Results: []results.Result{{Transport: "tcp", Workload: "echo", Sent: 1, Delivered: 1,
			LatencyMs: &results.Latency{P50: 1, N: 1, CDF: []results.CDFPoint{{Ms: 1, Q: 1}}}}},
	}}
	inline := renderRun(Run{Name: "r", Records: recs}, true)
	assert.Contains(t, inline, "<table>")
	assert.Contains(t, inline, "<svg")
	assert.NotContains(t, inline, "<?xml", "the SVG's prolog does not belong in HTML")
	assert.Contains(t, inline, "x&lt;y", "names from a record are escaped")
	linked := renderRun(Run{Name: "r", Records: recs}, false)
	assert.Contains(t, linked, `<img src="/results/r/cdf-echo.svg"`)
}
