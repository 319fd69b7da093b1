package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labState is what the lab's page shows at a moment.
type labState struct {
	Status string
	Title  string
	Done   float64
	Rows   float64
	Log    []string
	HTML   string
}

const readLab = `(() => ({
	status: document.getElementById("status").textContent,
	title: document.title,
	done: document.getElementById("bar").value,
	rows: document.getElementById("bar").max,
	log: [...document.querySelectorAll("#log li")].map(li => li.textContent),
	html: document.getElementById("sections").innerHTML + document.getElementById("verdict").innerHTML,
}))()`

// Headless Chromium drives /lab as a person would, with the network cut
// off but for loopback: it sets the loss, leaves out what would take long,
// presses Run, sees rows start and finish while the run goes, and ends
// with the tables, the plots and the verdict. The page asks for nothing
// but httpserve's own URLs. A screenshot of the finished page is kept
// where NETMATRIX_SCREENSHOT_DIR says (docs/lab.png in the repository).
func TestChromiumDrivesTheLab(t *testing.T) {
	root, good := savedRuns(t)
	t.Setenv("NETMATRIX_RESULTS", root)
	b := startBrowser(t, 1280, 900)
	addr, _, stderr := startServe(t)
	b.open("http://" + addr + "/lab")

	var slider string
	b.eval(`(() => {
		const set = (id, v) => { const f = document.getElementById(id); f.value = v; f.dispatchEvent(new Event("input")); };
		set("loss", "5%");
		set("count", "60");
		for (const box of document.querySelectorAll("input[name=transport], input[name=workload]")) {
			box.checked = ["tcp", "udp", "quic", "echo", "stream"].includes(box.value);
		}
		return document.getElementById("loss-slider").value;
	})()`, &slider)
	assert.Equal(t, "5", slider, "the loss slider follows the field")
	b.eval(`document.getElementById("run").click()`, nil)

	var st labState
	var sawProgress bool
	for end := time.Now().Add(90 * time.Second); !strings.Contains(st.Title, "done"); {
		require.False(t, time.Now().After(end), "the run did not end: %+v", st)
		time.Sleep(100 * time.Millisecond)
		b.eval(readLab, &st)
		if st.Rows > 0 && st.Done < st.Rows && strings.Contains(strings.Join(st.Log, "\n"), "running…") {
			sawProgress = true
		}
	}
	assert.True(t, sawProgress, "rows were seen running before the run ended")
	assert.Equal(t, float64(4*2), st.Rows, "tcp, udp and both QUIC stream shapes, on echo and stream")
	assert.Equal(t, st.Rows, st.Done)
	assert.Contains(t, st.Status, "done")
	assert.Len(t, st.Log, int(st.Rows))
	for _, l := range st.Log {
		assert.Regexp(t, `^lossy\+custom · (echo|stream) · [a-z-]+: done in [0-9.]+ s$`, l)
	}
	assert.Contains(t, st.HTML, "<table>")
	assert.Contains(t, st.HTML, "<td class=\"text\">lossy+custom</td>")
	assert.Contains(t, st.HTML, "<svg")
	assert.Contains(t, st.HTML, "echo: round-trip time on lossy+custom", "the echo CDF")
	assert.Contains(t, st.HTML, "In short", "the verdict")
	var saveShown bool
	b.eval(`!document.getElementById("save").hidden`, &saveShown)
	assert.True(t, saveShown, "a finished run can be saved")

	for _, u := range b.urls() {
		assert.True(t, strings.HasPrefix(u, "http://"+addr+"/") || u == "about:blank", "the page asked for %s", u)
	}
	assert.Contains(t, stderr.String(), `"POST /lab/run HTTP/1.1" 200`)

	png := b.screenshot()
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG")
	assert.Greater(t, len(png), 50<<10, "a page of tables and plots, not a blank one")
	if dir := os.Getenv("NETMATRIX_SCREENSHOT_DIR"); dir != "" {
		// Kept for a person to look at: docs/lab.png.
		require.NoError(t, os.WriteFile(filepath.Join(dir, "lab.png"), png, 0o644))
	}

	// Saved, then laid beside a run saved before.
	b.eval(`document.getElementById("save-button").click()`, nil)
	b.waitFor(10*time.Second, `document.querySelector("#save-status a")`)
	var name string
	b.eval(`document.querySelector("#save-status a").textContent`, &name)
	assert.FileExists(t, filepath.Join(root, name, "run.json"))
	b.eval(`(() => { const pick = document.getElementById("beside-b"); pick.value = "`+good[0]+`"; document.getElementById("beside").submit(); })()`, nil)
	b.waitFor(10*time.Second, `location.pathname === "/results" && document.readyState === "complete" && document.querySelectorAll(".side").length === 2`)
	var sides []string
	b.eval(`[...document.querySelectorAll(".side h2")].map(h => h.textContent)`, &sides)
	assert.Equal(t, []string{"netmatrix: lossy+custom", "netmatrix: clean, lossy"}, sides)
	for _, u := range b.urls() {
		assert.True(t, strings.HasPrefix(u, "http://"+addr+"/") || u == "about:blank", "the page asked for %s", u)
	}
}
