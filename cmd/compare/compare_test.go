package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/internal/testutil"
	"netmatrix/quic"
	"netmatrix/results"
	"netmatrix/results/resultstest"
)

// asCompareEnv makes this test binary compare itself, for the tests that
// run compare as another user (rootless_test.go).
const asCompareEnv = "NMX_TEST_AS_COMPARE"

func TestMain(m *testing.M) {
	// A compare without root runs itself again in a user namespace
	// (rootless_linux.go): in tests, itself is this binary.
	if usernsChild || takeEnv(asCompareEnv) {
		main()
	}
	// A test that runs compare serve in a process of its own starts this
	// binary again as that process.
	if code, ok := serveChild(); ok {
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}

// run calls Main as the command line would and returns its exit code and
// outputs.
func run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// records reads the JSON records a run printed and requires n of them;
// msgAndArgs say what they are or add what helps when they are not.
func records(t *testing.T, out string, n int, msgAndArgs ...any) []results.Record {
	t.Helper()
	recs, err := results.ReadJSON(strings.NewReader(out))
	require.NoError(t, err, msgAndArgs...)
	require.Len(t, recs, n, msgAndArgs...)
	return recs
}

func TestBadFlagsExitTwoWithUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-transports", "tcp,carrier-pigeon"},
		{"-workload", "dance"},
		{"-format", "yaml"},
		{"-count", "0"},
		{"-size", "4"},
		{"-link", "moon"},
		{"-target", "http://127.0.0.1:7"},
		{"-rate", "fast"},
		{"stray-argument"},
		{"-format", "html"},
		{"-sweep", "loss"},
		{"-sweep", "speed=1,2"},
		{"-sweep", "loss=0,1%", "-loss", "1%"},
		{"-sweep", "loss=0,1%", "-link", "loopback"},
		{"-sweep", "loss=0,1%", "-target", "udp://127.0.0.1:7"},
		{"-sweep", "loss=0,1%", "-cc", "bbr"},
		{"-replay", "run.json", "-count", "5"},
		{"-sndbuf", "lots"},
		{"-rcvbuf", "0"},
		{"-sndbuf", "2GiB"},
		{"-link", "kernel", "-exec", "true", "-rcvbuf", "1MiB"},
		{"-reverse", "-bidir"},
		{"-remote", "127.0.0.1:7007"},
		{"-key", "key"},
		{"-remote", "127.0.0.1:7007", "-key", "key", "-link", "kernel"},
		{"-remote", "127.0.0.1:7007", "-key", "key", "-loss", "1%"},
		{"-remote", "no-port", "-key", "key"},
		{"-reverse", "-target", "udp://127.0.0.1:7"},
		{"serve", "-listen", "no-port"},
		{"serve", "-bogus"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errs := run(t, t.Context(), args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out, "nothing on stdout")
			assert.Contains(t, errs, "usage: compare")
		})
	}
}

func TestJSONRecordShape(t *testing.T) {
	code, out, errs := run(t, t.Context(), "-link", "loopback", "-transports", "tcp,udp",
		"-workload", "echo,stream", "-count", "20", "-interval", "2ms", "-format", "json")
	require.Equal(t, exitOK, code, errs)

	// Field by field, read as a generic object so a renamed field fails
	// here: every latency says what it measures, every unit is in its
	// field's name, and what a row has no figure for is absent.
	// A line per row, as each finished: a record holding that row.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	metric := map[string]string{"echo": "rtt", "stream": "one_way_delay"}
	for _, line := range lines {
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &raw))
		assert.EqualValues(t, results.Schema, raw["schema"])
		sc := raw["scenario"].(map[string]any)
		assert.EqualValues(t, 2, sc["interval_ms"])
		assert.Equal(t, "ping-pong", sc["echo_mode"])
		assert.Contains(t, raw["command"], "-format json")
		rs := raw["results"].([]any)
		require.Len(t, rs, 1)
		m := rs[0].(map[string]any)
		for _, k := range []string{"transport", "workload", "sent", "delivered", "lost", "reordered", "duplicates", "latency_ms", "metric"} {
			assert.Contains(t, m, k)
		}
		assert.Equal(t, metric[m["workload"].(string)], m["metric"])
		assert.NotContains(t, m, "goodput_mbit_s", "no goodput on a latency row")
		if m["workload"] == "echo" {
			assert.NotContains(t, m, "jitter_ms", "jitter is the stream's")
		}
		if m["transport"] == "udp" {
			assert.NotContains(t, m, "hol_ms", "UDP hands every datagram over as it comes")
		}
		lat := m["latency_ms"].(map[string]any)
		for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
			assert.Contains(t, lat, k)
		}
		assert.EqualValues(t, 20, m["sent"])
		assert.EqualValues(t, 20, m["delivered"], "nothing is lost on loopback")
		assert.Greater(t, lat["p50"].(float64), 0.0)
	}
	// Read back, the lines are the run's one record, in table order.
	recs := records(t, out, 1)
	assert.Equal(t, "loopback", recs[0].Scenario.Link)
	var order []string
	for _, r := range recs[0].Results {
		order = append(order, r.Workload+"/"+r.Transport)
	}
	assert.Equal(t, []string{"echo/tcp", "echo/udp", "stream/tcp", "stream/udp"}, order)
	resultstest.RequireSchema(t, []byte(out))
}

// The default run's paths and rows, cut short, write records the
// published schema accepts.
func TestDefaultRunFitsTheSchema(t *testing.T) {
	code, out, errs := run(t, t.Context(), "-count", "20", "-interval", "5ms", "-duration", "200ms", "-format", "json")
	require.Equal(t, exitOK, code, errs)
	resultstest.RequireSchema(t, []byte(out))
	recs := records(t, out, 2, "clean and lossy")
	for _, rec := range recs {
		assert.Len(t, rec.Results, 5+5+4+1, "every transport of every workload")
	}
}

func TestTableEndsInASentence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out.txt")
	code, out, errs := run(t, t.Context(), "-link", "loopback", "-workload", "bulk", "-duration", "200ms", "-transports", "tcp,udp", "-o", file)
	require.Equal(t, exitOK, code, errs)
	assert.Empty(t, out, "-o sends the table to the file")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	table := string(b)
	assert.Contains(t, table, "Mbit/s: goodput")
	assert.NotContains(t, table, "\x1b[", "no colour in a file")
	_, last, ok := strings.Cut(table, "\nOn loopback: ")
	require.True(t, ok, "the table ends in its sentence: %s", table)
	last = strings.ReplaceAll(strings.TrimSpace(last), "\n", " ")
	assert.Contains(t, last, "with nothing lost")
	assert.Regexp(t, `tcp carried [0-9]+ Mbit/s`, last)
}

// startServe runs compare serve in this process on a port the system
// chooses and returns the echo's port once serve has said where it is:
// it says so only after all its sockets are open, so a datagram sent
// then finds the UDP echo bound. done gives its exit code.
func startServe(t *testing.T, ctx context.Context, args ...string) (int, <-chan int) {
	t.Helper()
	out, w := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := Main(ctx, append([]string{"serve", "-listen", "127.0.0.1:0"}, args...), w, &errb)
		w.Close()
		done <- code
	}()
	addr, ok := servedAddr(out)
	// The rest of what serve prints is not read, but it must not block.
	go io.Copy(io.Discard, out)
	if !ok {
		code := <-done
		t.Fatalf("compare serve did not start (exit %d): %s", code, errb.String())
	}
	ap, err := netip.ParseAddrPort(addr)
	require.NoError(t, err)
	return int(ap.Port()), done
}

var echoAddrRE = regexp.MustCompile(`on tcp and udp (\S+);`)

// servedAddr reads serve's first line for the echo address.
func servedAddr(r io.Reader) (string, bool) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", false
	}
	m := echoAddrRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func TestTargetAgainstServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	port, done := startServe(t, ctx)
	addr := net.JoinHostPort("127.0.0.1", itoa(port))
	id, err := quic.DefaultIdentity()
	require.NoError(t, err)
	quicAddr := net.JoinHostPort("127.0.0.1", itoa(port+2))
	for _, target := range [][]string{
		{"-target", "tcp://" + addr},
		{"-target", "udp://" + addr},
		// The QUIC echo two ports up, its certificate pinned as a client
		// on another host would.
		{"-target", "quic://" + quicAddr, "-fingerprint", id.Fingerprint()},
	} {
		scheme := strings.SplitN(target[1], ":", 2)[0]
		code, out, errs := run(t, t.Context(), append(target, "-count", "30", "-format", "json")...)
		require.Equal(t, exitOK, code, errs)
		r := records(t, out, 1)[0].Results[0]
		assert.Equal(t, scheme, r.Transport)
		assert.Equal(t, int64(30), r.Delivered)
	}
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
}

func TestTargetAgainstSocat(t *testing.T) {
	socat := testutil.NeedTool(t, "socat")
	port := testutil.FreePort(t, "tcp")
	testutil.Start(t, nil, socat, "TCP-LISTEN:"+itoa(port)+",bind=127.0.0.1,reuseaddr,fork", "PIPE")
	addr := net.JoinHostPort("127.0.0.1", itoa(port))
	testutil.WaitListening(t, addr)
	code, out, errs := run(t, t.Context(), "-target", "tcp://"+addr, "-count", "25")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "tcp answered every probe")
}

func TestCancelStopsRunAndLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	// A stream of 1000 messages at 10 ms would take 10 s.
	code, _, _ := run(t, ctx, "-link", "loopback", "-workload", "stream", "-count", "1000", "-interval", "10ms")
	assert.Equal(t, exitFail, code)
	assert.Less(t, time.Since(start), 5*time.Second, "a cancelled run stops promptly")
	// goleak in TestMain checks that no goroutine is left.
}

// The built program, interrupted as a user would with Ctrl-C.
func TestInterruptedProcessExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "compare")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// serve asks the system for its ports and says which on its first
	// line, once every socket is open.
	cmd := exec.Command(bin, "serve", "-listen", "127.0.0.1:0")
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var stdout bytes.Buffer
	errc := make(chan error, 1) // the exit, once cmd ends and its output is read
	addr, ok := servedAddr(io.TeeReader(pipe, &stdout))
	go func() {
		io.Copy(&stdout, pipe)
		errc <- cmd.Wait()
	}()
	if !ok {
		t.Fatalf("compare serve did not start: %v", <-errc)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-errc:
		assert.NoError(t, err, "exit status 0 after Ctrl-C")
	case <-time.After(5 * time.Second):
		t.Fatal("serve ignored SIGINT")
	}
	assert.Contains(t, stdout.String(), "stopped")
	// Everything it opened is closed: the ports are free again.
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the echo port is free")
	ln.Close()
}

func itoa(i int) string { return strconv.Itoa(i) }

// An interrupted run says so in the JSON and the table, counts only what
// it sent before it stopped, exits non-zero, and is not saved as a run.
func TestInterruptedRunSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	port, done := startServe(t, ctx, "-rate-limit", "0")
	target := "udp://" + net.JoinHostPort("127.0.0.1", itoa(port))
	saveDir := t.TempDir()
	for _, format := range []string{"json", "table"} {
		rctx, stop := context.WithCancel(t.Context())
		time.AfterFunc(500*time.Millisecond, stop)
		code, out, errs := run(t, rctx, "-target", target, "-echo-interval", "1ms", "-count", "100000",
			"-format", format, "-save", "-save-dir", saveDir)
		stop()
		assert.Equal(t, exitFail, code, errs)
		if format == "table" {
			assert.Contains(t, out, "interrupted after")
			assert.NotContains(t, out, "lost 9", "no loss figure for the probes never sent")
			continue
		}
		r := records(t, out, 1)[0].Results[0]
		assert.True(t, r.Interrupted)
		assert.Positive(t, r.StoppedAt.D())
		assert.Less(t, r.Sent, int64(100000), "only what went out")
		assert.Positive(t, r.Delivered)
		assert.Less(t, r.Lost, r.Sent/10+5, "probes never sent are not lost")
		assert.Equal(t, r.Sent, r.Delivered+r.Lost+r.InFlight, "each probe sent is answered, lost or on its way")
		assert.Empty(t, r.Error)
	}
	entries, err := os.ReadDir(saveDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "an interrupted run is not saved")
	cancel()
	<-done
}

// The flag package takes a back-quoted word in a flag's usage as the
// name of its value: each -h line names the value with a type or a
// word in capitals (-exec CMD), never a phrase lifted from the text.
func TestHelpNamesEachValue(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"serve", "-h"}} {
		code, _, errs := run(t, t.Context(), args...)
		require.Equal(t, exitOK, code)
		var flags int
		for line := range strings.SplitSeq(errs, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			flags++
			name, value, _ := strings.Cut(strings.TrimPrefix(line, "  -"), " ")
			assert.Regexp(t, `^([a-z0-9]+|[A-Z]+)?$`, value, "-%s's value is named %q", name, value)
		}
		assert.Positive(t, flags, "%v lists flags", args)
	}
	_, _, errs := run(t, t.Context(), "-h")
	assert.Contains(t, errs, "  -exec CMD\n")
	assert.Contains(t, errs, "  -fingerprint HEX\n")
}

// -sndbuf and -rcvbuf reach the path and the record, on the path of
// every kind (loopback's within the host's limits, so without root).
func TestSocketBufferFlags(t *testing.T) {
	for _, path := range [][]string{{"-delay", "1ms"}, {"-link", "loopback"}} {
		t.Run(path[1], func(t *testing.T) {
			args := append([]string{"-workload", "bulk", "-transports", "tcp", "-duration", "300ms",
				"-sndbuf", "96KiB", "-rcvbuf", "64KiB", "-format", "json"}, path...)
			code, out, errs := run(t, t.Context(), args...)
			require.Equal(t, exitOK, code, errs)
			resultstest.RequireSchema(t, []byte(out))
			var rec results.Record
			require.NoError(t, json.Unmarshal([]byte(out), &rec))
			assert.EqualValues(t, 96<<10, rec.Scenario.SendBuffer)
			assert.EqualValues(t, 64<<10, rec.Scenario.ReceiveBuffer)
			require.Len(t, rec.Results, 1)
			r := rec.Results[0]
			assert.Empty(t, r.Error)
			assert.Positive(t, r.Bytes)
			assert.NotEmpty(t, r.LimitedBy, "the path watched the sender")
			assert.NotNil(t, r.LimitedMs)
		})
	}
}

// Rows are written as they finish, but a scenario's first row never
// comes before an earlier scenario's, so the run's records read back in
// the command's order.
func TestRowWriterKeepsScenarioOrder(t *testing.T) {
	var b bytes.Buffer
	rw := &rowWriter{w: &b, command: "compare"}
	recs := []results.Record{{Schema: results.Schema, Scenario: results.Scenario{Name: "a"}},
		{Schema: results.Schema, Scenario: results.Scenario{Name: "b"}}, {Schema: results.Schema, Scenario: results.Scenario{Name: "c"}}}
	row := func(i int, tr string) { rw.Row(i, &recs[i], results.Result{Transport: tr, Workload: "echo"}) }
	row(2, "tcp")
	row(1, "tcp")
	assert.Empty(t, b.String(), "held until a shows")
	row(0, "udp")
	row(2, "udp")
	rw.flush()
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec results.Record
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		got = append(got, rec.Scenario.Name+"/"+rec.Results[0].Transport)
		assert.Equal(t, "compare", rec.Command)
	}
	assert.Equal(t, []string{"a/udp", "b/tcp", "c/tcp", "c/udp"}, got)
}
