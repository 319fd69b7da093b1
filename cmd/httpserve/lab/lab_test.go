package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/http"
	"netmatrix/results"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serveLab serves a lab on a loopback port with our own HTTP server
// until the test ends; cancel stops the lab's runs as a server's
// shutdown does.
func serveLab(t *testing.T, lim Limits) (base string, l *Lab, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l = New(ctx, t.TempDir())
	l.Limits = lim
	l.heartbeat = 50 * time.Millisecond
	mux := http.NewServeMux()
	l.Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		assert.NoError(t, srv.Shutdown(sctx), "every run ended")
		<-served
	})
	return "http://" + ln.Addr().String(), l, cancel
}

var client = &nethttp.Client{Timeout: 60 * time.Second}

// post sends a form to the lab with a real client over loopback.
func post(t *testing.T, url, form string) *nethttp.Response {
	t.Helper()
	resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(form))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// event is one server-sent event as a client parses it.
type event struct {
	name string
	data map[string]any
}

// events parses a text/event-stream body as the WHATWG standard says:
// fields up to a blank line make an event, comments (":") are skipped.
// It hands each event to each as it arrives, until each says stop or
// the stream ends.
func events(t *testing.T, body io.Reader, each func(event) bool) {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var ev event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if len(data) > 0 {
				require.NoError(t, json.Unmarshal([]byte(strings.Join(data, "\n")), &ev.data), "event %s", ev.name)
				if !each(ev) {
					return
				}
			}
			ev, data = event{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		default:
			t.Fatalf("not an event stream line: %q", line)
		}
	}
}

// small is a quick run: two transports, a short stream and echo on a
// path of a millisecond each way.
const small = "profile=&delay=1ms&loss=&transport=tcp&transport=udp&workload=stream&workload=echo&count=20"

func TestRunStreamsItsProgressAndResults(t *testing.T) {
	base, l, _ := serveLab(t, Limits{})
	resp := post(t, base+"/lab/run", small)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding, "streamed, not sent whole at the end")

	var got []event
	events(t, resp.Body, func(ev event) bool { got = append(got, ev); return true })
	require.NotEmpty(t, got)
	assert.Equal(t, "plan", got[0].name)
	assert.EqualValues(t, 4, got[0].data["rows"])
	assert.Equal(t, []any{"echo", "stream"}, got[0].data["sections"])
	assert.Equal(t, "go run ./cmd/compare -delay 1ms -transports tcp,udp -workload echo,stream -count 20 -duration 1s", got[0].data["command"])
	last := got[len(got)-1]
	assert.Equal(t, "end", last.name)
	assert.Equal(t, true, last.data["ok"])
	assert.Equal(t, true, last.data["savable"])

	// Each row starts, then ends, and its section is drawn again after
	// it: progress and results come as the run goes, not at its end.
	started, ended := map[string]int{}, map[string]int{}
	sectionAfterRow := 0
	for i, ev := range got {
		if ev.name != "row" {
			continue
		}
		key := ev.data["workload"].(string) + "/" + ev.data["transport"].(string)
		if ev.data["status"] == "running" {
			started[key] = i
			continue
		}
		assert.Equal(t, "ok", ev.data["status"], key)
		ended[key] = i
		assert.Less(t, started[key], i, "%s starts before it ends", key)
		if next := got[i+1]; next.name == "section" && next.data["id"] == ev.data["workload"] {
			sectionAfterRow++
		}
	}
	assert.Len(t, ended, 4)
	assert.Equal(t, 4, sectionAfterRow, "each row's section is drawn when it ends")
	var final map[string]string
	for _, ev := range got {
		if ev.name == "section" {
			if final == nil {
				final = map[string]string{}
			}
			final[ev.data["id"].(string)] = ev.data["html"].(string)
		}
	}
	assert.Contains(t, final["echo"], "<table>")
	assert.Contains(t, final["echo"], "<svg")
	assert.Contains(t, final["stream"], "<td class=\"text\">custom</td>")
	verdict := got[len(got)-2]
	assert.Equal(t, "verdict", verdict.name)
	assert.Contains(t, verdict.data["html"], "In short")

	// Saved once, into the dashboard's folder, with the command that
	// makes it again; a second press finds nothing more to save.
	resp = post(t, base+"/lab/save", "id="+last.data["id"].(string))
	require.Equal(t, 200, resp.StatusCode)
	var s saved
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	assert.Equal(t, "/results/"+s.Name+"/", s.URL)
	recs, err := results.LoadRun(filepath.Join(l.Root, s.Name))
	require.NoError(t, err)
	assert.Equal(t, got[0].data["command"], recs[0].Command)
	resp = post(t, base+"/lab/save", "id="+last.data["id"].(string))
	assert.Equal(t, 409, resp.StatusCode)
}

func TestBadInputGetsASentence(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	for _, tc := range []struct{ form, want string }{
		{"loss=lots&transport=tcp&workload=echo", `loss: link: share "lots"`},
		{"transport=tcp&workload=echo&count=100000", "messages per run: want a whole number from 1 to 1000"},
		{"transport=sctp&workload=echo", `unknown transport "sctp"`},
		{"workload=echo", "transports: no transport given"},
		{"transport=tcp", "workloads: no workload given"},
		{"transport=tcp&workload=bulk&duration=1h", "bulk duration: want 100ms to 5s"},
		{"transport=tcp&workload=echo&sweep=loss%3D0,1,2,3,4,5,6%25", "sweep: 7 values; the lab runs at most 6"},
		{"transport=tcp&workload=echo&sweep=speed=1,2", "want PARAM=V1,V2"},
		{"transport=tcp&workload=echo&sweep=loss%3D0,1%25&loss=2%25", "keep one"},
		{"transport=tcp&workload=echo&profile=moon", "moon"},
		{"transport=tcp&workload=echo&loss=5%", "the form is not URL-encoded"},
		{"transport=tcp&workload=echo&loss=" + strings.Repeat("9", maxForm), "larger than a lab run needs"},
	} {
		resp := post(t, base+"/lab/run", tc.form)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, 400, resp.StatusCode, tc.form[:min(len(tc.form), 60)])
		assert.Contains(t, string(body), tc.want)
	}
	resp, err := client.Get(base + "/lab/run")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode, "a run is started by POST")
	resp = post(t, base+"/lab/save", "id=nothing")
	assert.Equal(t, 409, resp.StatusCode)
}

// long is a run of 20 s, longer than any test waits.
const long = "delay=1ms&transport=udp&workload=stream&count=1000"

// One run at a time: another is told the lab is busy, and why. A run
// whose page goes away is stopped, and the lab is free again.
func TestOneRunAtATimeAndStopsWhenThePageGoes(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	resp := post(t, base+"/lab/run", long)
	require.Equal(t, 200, resp.StatusCode)
	events(t, resp.Body, func(ev event) bool { return ev.name != "row" })

	busy := post(t, base+"/lab/run", small)
	body, _ := io.ReadAll(busy.Body)
	assert.Equal(t, 409, busy.StatusCode)
	assert.Contains(t, string(body), "The lab is busy: a run started")
	assert.Contains(t, string(body), "one at a time")

	resp.Body.Close() // the page goes away
	for end := time.Now().Add(10 * time.Second); ; {
		again := post(t, base+"/lab/run", small)
		if again.StatusCode == 200 {
			events(t, again.Body, func(event) bool { return true })
			break
		}
		again.Body.Close()
		require.Equal(t, 409, again.StatusCode)
		require.False(t, time.Now().After(end), "the run went on after its page left")
		time.Sleep(50 * time.Millisecond)
	}
}

// A run longer than MaxRun is stopped and shown as far as it got, not
// kept to be saved; so is one the server stops.
func TestRunsAreBounded(t *testing.T) {
	base, _, _ := serveLab(t, Limits{MaxRun: 500 * time.Millisecond})
	start := time.Now()
	var end event
	events(t, post(t, base+"/lab/run", long).Body, func(ev event) bool { end = ev; return true })
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, "end", end.name)
	assert.Equal(t, false, end.data["ok"])
	assert.Equal(t, false, end.data["savable"])
	assert.Contains(t, end.data["message"], "the lab runs at most 500ms at a time")

	base, _, stop := serveLab(t, Limits{})
	resp := post(t, base+"/lab/run", long)
	events(t, resp.Body, func(ev event) bool {
		if ev.name == "row" {
			stop()
		}
		end = ev
		return true
	})
	assert.Equal(t, "end", end.name)
	assert.Contains(t, end.data["message"], "the server is shutting down")
}

// absolute finds what looks like a URL to somewhere else: a scheme and
// a host, or a protocol-relative "//host".
var absolute = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*:)?//[a-z0-9.-]+\.[a-z]{2,}|url\(\s*['"]?[a-z]+:`)

// The page loads nothing from the internet: the page, its script and
// style sheet, and what a run draws into it name no other host, and
// every src and href is a path on this server.
func TestPageHasNoExternalURL(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	var all strings.Builder
	for _, path := range []string{"/lab", "/lab/static/lab.js", "/lab/static/lab.css"} {
		resp, err := client.Get(base + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, path)
		all.Write(b)
	}
	events(t, post(t, base+"/lab/run", small).Body, func(ev event) bool {
		if html, ok := ev.data["html"].(string); ok {
			all.WriteString(html)
		}
		return true
	})
	page := all.String()
	assert.Empty(t, absolute.FindAllString(page, -1))
	for _, m := range regexp.MustCompile(`(?i)(src|href|action)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		assert.Regexp(t, `^(/|#)`, m[2], "%s", m[0])
	}
	assert.Contains(t, page, "<svg", "the plots are inline")
}

func TestStaticServesOnlyItsFiles(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	for path, want := range map[string]int{
		"/lab/static/lab.js": 200, "/lab/static/lab.css": 200, "/lab/static/../page.html": 404,
		"/lab/static/nothing.js": 404, "/lab/static/": 404,
	} {
		resp, err := client.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
}

// The page offers what the catalog and the link package have, and the
// form it sends parses as the lab's defaults.
func TestPageOffersTheCatalog(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	resp, err := client.Get(base + "/lab")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, want := range []string{`value="lossy" data-about="lossy: 2.0% loss, 20ms delay ± 2ms`, `name="transport" value="quic-dgram"`,
		`name="workload" value="http"`, `id="loss-slider"`, `src="/lab/static/lab.js"`} {
		assert.Contains(t, page, want)
	}
	_, err = os.Stat(filepath.Join("static", "lab.js"))
	assert.NoError(t, err)
}

// A sweep runs from the page: a path per value, and a sweep section of
// its trend and curves, drawn again as each point's rows end.
func TestSweepFromThePage(t *testing.T) {
	base, _, _ := serveLab(t, Limits{})
	form := "delay=1ms&sweep=loss%3D0,10%25&transport=tcp&transport=udp&workload=stream&count=20"
	var plan event
	sweeps := 0
	var last string
	events(t, post(t, base+"/lab/run", form).Body, func(ev event) bool {
		switch {
		case ev.name == "plan":
			plan = ev
		case ev.name == "section" && ev.data["id"] == "sweep":
			sweeps++
			last = ev.data["html"].(string)
		}
		return true
	})
	assert.Equal(t, []any{"stream", "sweep"}, plan.data["sections"])
	assert.EqualValues(t, 4, plan.data["rows"], "two transports at two points")
	// Drawn as rows end (rows that end together share a drawing) and
	// once more at the end.
	assert.GreaterOrEqual(t, sweeps, 2, "while the rows run, and at the end")
	assert.LessOrEqual(t, sweeps, 4+1, "at most once per row, and at the end")
	assert.Contains(t, last, "sweep: what each transport gave as loss changed")
	assert.Contains(t, last, "Stream messages delivered as loss changes", "the delivered curve")
	assert.Contains(t, last, "<td class=\"text\">10%</td>")
}
