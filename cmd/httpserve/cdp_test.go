package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
)

// browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: JSON messages, each ending in a NUL
// byte, on the child's file descriptors 3 and 4), so a test can type
// into a page, press its buttons and read what it shows, with no
// WebSocket client and nothing but Chromium itself.
type browser struct {
	t        testing.TB
	cmd      *exec.Cmd
	toChrome *os.File

	mu       sync.Mutex
	next     int
	waiting  map[int]chan cdpReply
	requests []string // every URL the page asked for
	session  string
	done     chan struct{} // closed when Chromium's output ends
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// cutOffNetwork makes every host name but loopback fail to resolve: a
// page that reached for the internet would fail to load what it asked.
const cutOffNetwork = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

// startBrowser starts headless Chromium with one blank page, attached,
// its network requests recorded. It skips the test where Chromium is
// missing, and closes it when the test ends.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	chrome := testutil.NeedTool(t, "chromium") // Debian's, as .ci/run installs it
	toChrome3, fromUs := mustPipe(t)           // Chromium reads commands on its fd 3
	toUs, fromChrome4 := mustPipe(t)           // and writes replies on its fd 4
	cmd := exec.Command(chrome,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--remote-debugging-pipe", cutOffNetwork,
		fmt.Sprintf("--window-size=%d,%d", width, height),
		"--user-data-dir="+t.TempDir(), "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome3, fromChrome4}
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	toChrome3.Close()
	fromChrome4.Close()
	b := &browser{t: t, cmd: cmd, toChrome: fromUs, waiting: map[int]chan cdpReply{}, done: make(chan struct{})}
	go b.read(toUs)
	t.Cleanup(b.close)

	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	b.call("Target.getTargets", nil, &targets)
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			var att struct{ SessionID string }
			b.call("Target.attachToTarget", map[string]any{"targetId": ti.TargetID, "flatten": true}, &att)
			b.session = att.SessionID
			break
		}
	}
	require.NotEmpty(t, b.session, "chromium has no page to drive")
	b.call("Network.enable", nil, nil)
	b.call("Page.enable", nil, nil)
	return b
}

func mustPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	return r, w
}

// read takes Chromium's messages until it exits: replies go to their
// callers; of the events, the requests are recorded.
func (b *browser) read(r *os.File) {
	defer close(b.done)
	defer r.Close()
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			cdpReply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.Method == "Network.requestWillBeSent" {
			var p struct{ Request struct{ URL string } }
			if json.Unmarshal(m.Params, &p) == nil {
				b.requests = append(b.requests, p.Request.URL)
			}
		}
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if m.ID != 0 && ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends a command to the page (or to the browser, before a page is
// attached) and decodes its result into out.
func (b *browser) call(method string, params any, out any) {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	b.mu.Unlock()
	if params == nil {
		msg["params"] = map[string]any{}
	}
	data, err := json.Marshal(msg)
	require.NoError(b.t, err)
	_, err = b.toChrome.Write(append(data, 0))
	require.NoError(b.t, err, "chromium: %s", method)
	select {
	case reply := <-ch:
		if reply.Error != nil {
			b.t.Fatalf("chromium: %s: %s", method, reply.Error.Message)
		}
		if out != nil {
			require.NoError(b.t, json.Unmarshal(reply.Result, out), "chromium: %s", method)
		}
	case <-b.done:
		b.t.Fatalf("chromium exited during %s", method)
	case <-time.After(30 * time.Second):
		b.t.Fatalf("chromium: no answer to %s", method)
	}
}

// eval runs a JavaScript expression in the page, awaiting it if it is a
// promise, and decodes its value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if e := res.ExceptionDetails; e != nil {
		b.t.Fatalf("page: %s: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out != nil {
		require.NoError(b.t, json.Unmarshal(res.Result.Value, out), "page: %s", expr)
	}
}

// open loads url and waits until the page has loaded.
func (b *browser) open(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url}, nil)
	b.waitFor(10*time.Second, `document.readyState === "complete"`)
}

// waitFor polls a JavaScript condition until it holds.
func (b *browser) waitFor(limit time.Duration, cond string) {
	b.t.Helper()
	for end := time.Now().Add(limit); ; {
		var ok bool
		b.eval("Boolean("+cond+")", &ok)
		if ok {
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("page: %s did not come true in %s", cond, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot is the whole page, however long, as PNG.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	var m struct {
		CSSContentSize struct{ Width, Height float64 } `json:"cssContentSize"`
	}
	b.call("Page.getLayoutMetrics", nil, &m)
	var shot struct{ Data []byte }
	b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": m.CSSContentSize.Height, "scale": 1}}, &shot)
	return shot.Data
}

// urls are the URLs the page has asked for so far.
func (b *browser) urls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

func (b *browser) close() {
	b.toChrome.Close() // Chromium exits when its command pipe closes
	exited := make(chan error, 1)
	go func() { exited <- b.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-exited
	}
	<-b.done
}
