package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
	"netmatrix/results"
	"netmatrix/results/report"
)

// savedRuns makes a results folder as "compare -save" leaves it: two
// good runs from the results package's fixtures, and two that cannot be
// read, one malformed and one from a newer netmatrix.
func savedRuns(t *testing.T) (root string, good []string) {
	t.Helper()
	root = t.TempDir()
	for _, fx := range []string{"single", "sweep"} {
		f, err := os.Open(filepath.Join("..", "..", "results", "report", "testdata", fx+".json"))
		require.NoError(t, err)
		recs, err := results.ReadJSON(f)
		f.Close()
		require.NoError(t, err)
		dir, err := report.Save(root, recs)
		require.NoError(t, err)
		good = append(good, filepath.Base(dir))
	}
	for name, content := range map[string]string{
		"2026-01-01-malformed": `{"schema":1,"scenario":{"name":`,
		"2026-01-02-newer":     `{"schema":7,"scenario":{"name":"from the future"},"results":"changed"}`,
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name, results.RunFile), []byte(content), 0o644))
	}
	// A folder without a run file is not a run.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "notes"), 0o755))
	return root, good
}

func TestResultsPageListsRunsAndUnreadableOnes(t *testing.T) {
	root, good := savedRuns(t)
	t.Setenv("NETMATRIX_RESULTS", root)
	addr, _, _ := startServe(t, "-log=false")

	resp, body := get(t, "http://"+addr+"/results")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	// A list, a run a row, each opening on its own page.
	assert.Contains(t, body, `<table id="runs">`)
	assert.Contains(t, body, `<a href="/results/`+good[1]+`/">Sweep of loss from 0% to 5%: tcp, udp, quic, quic-permsg, quic-dgram</a>`)
	assert.Contains(t, body, `<a href="/results/`+good[0]+`/">netmatrix: clean, lossy</a>`)
	assert.Contains(t, body, "<td class=\"text\">echo, stream, bulk</td>")
	assert.NotContains(t, body, "<svg", "the list draws no run")
	assert.NotContains(t, body, "Mathis", "nor any run's tables")
	assert.Contains(t, body, "2026-01-01-malformed</b>: unreadable: results: record 1 is not valid JSON")
	assert.Contains(t, body, "2026-01-02-newer</b>: unreadable: results: record has a newer schema")
	assert.NotContains(t, body, "notes")

	// A run saved while the server runs shows on the next request.
	f, err := os.Open(filepath.Join("..", "..", "results", "report", "testdata", "single.json"))
	require.NoError(t, err)
	recs, err := results.ReadJSON(f)
	f.Close()
	require.NoError(t, err)
	recs[0].Scenario.Name, recs[1].Scenario.Name = "fresh", "run"
	_, err = report.Save(root, recs)
	require.NoError(t, err)
	_, body = get(t, "http://"+addr+"/results")
	assert.Contains(t, body, "netmatrix: fresh, run")

	// A run's own page has its plots inline; the plots are served as SVG.
	resp, body = get(t, "http://"+addr+"/results/"+good[1]+"/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 9, strings.Count(body, "<svg"), "echo and stream CDFs at each of 3 points, and the 3 sweep plots")
	assert.Contains(t, body, `<select name="b">`, "a run's page offers to lay it beside another")
	resp, body = get(t, "http://"+addr+"/results/"+good[1]+"/sweep-goodput.svg")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, "Mathis")

	// Two runs side by side, each with its tables and plots.
	resp, body = get(t, "http://"+addr+"/results?a="+good[0]+"&b="+good[1])
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `<div class="beside">`)
	assert.Equal(t, 2, strings.Count(body, `<div class="side">`))
	assert.Contains(t, body, "netmatrix: clean, lossy")
	assert.Contains(t, body, "Sweep of loss from 0% to 5%")
	assert.Equal(t, 4+9, strings.Count(body, "<svg"), "the single run's four CDFs beside the sweep's nine plots")
	assert.NotContains(t, body, "http://www.w3.org", "inline SVG needs no namespace URL in HTML")
	resp, _ = get(t, "http://"+addr+"/results?a="+good[0]+"&b=2026-01-09-nothing")
	assert.Equal(t, 404, resp.StatusCode)

	resp, body = get(t, "http://"+addr+"/results/2026-01-02-newer/")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "unreadable: results: record has a newer schema")

	for _, path := range []string{"/results/nothing-here/", "/results/" + good[0] + "/run.json",
		"/results/%2e%2e/etc", "/results/../go.mod", "/results/" + good[0] + "/../../x.svg"} {
		resp, _ := get(t, "http://"+addr+path)
		assert.Equal(t, 404, resp.StatusCode, path)
	}
}

// Headless Chromium opens /results served by httpserve: the tables and
// the plots are in the DOM it renders, and a screenshot shows the page.
func TestChromiumShowsResults(t *testing.T) {
	chrome := testutil.NeedTool(t, "chromium") // Debian's, as .ci/run installs it
	root, good := savedRuns(t)
	t.Setenv("NETMATRIX_RESULTS", root)
	addr, _, stderr := startServe(t)

	browse := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chrome, append([]string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir()}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		require.NoError(t, cmd.Run(), "chromium: %s", errb.String())
		return out.String()
	}

	dom := browse("--dump-dom", "http://"+addr+"/results/"+good[1]+"/")
	assert.Contains(t, dom, "<table>")
	assert.Contains(t, dom, "<td class=\"text\">loss=5%</td>")
	assert.Contains(t, dom, "<svg")
	assert.Contains(t, dom, "Bulk goodput as loss changes")
	assert.Contains(t, dom, "Mathis (Reno)")

	dom = browse("--dump-dom", "http://"+addr+"/results")
	assert.Contains(t, dom, "Saved runs")
	assert.Equal(t, 2, strings.Count(dom, "unreadable:"))
	assert.Contains(t, dom, `href="/results/`+good[1]+`/"`)

	shot := filepath.Join(t.TempDir(), "results.png")
	browse("--screenshot="+shot, "--window-size=1400,2400", "--hide-scrollbars", "http://"+addr+"/results/"+good[1]+"/")
	st, err := os.Stat(shot)
	require.NoError(t, err, "chromium wrote no screenshot")
	assert.Greater(t, st.Size(), int64(20<<10), "a page of tables and plots, not a blank one")
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
	if dir := os.Getenv("NETMATRIX_SCREENSHOT_DIR"); dir != "" {
		// Kept for a person to look at.
		require.NoError(t, os.WriteFile(filepath.Join(dir, "results.png"), png, 0o644))
	}
	assert.Contains(t, stderr.String(), `"GET /results HTTP/1.1" 200`)
}
