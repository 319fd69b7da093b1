//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/results/resultstest"
)

// keyFile writes key to a file of the test's and returns its name.
func keyFile(t *testing.T, key string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(f, []byte(key+"\n"), 0o644))
	return f
}

// startServeProcess runs `compare serve -key key` as a process of its
// own (this test binary as compare) on a free loopback port until the
// test ends, and returns its -listen address.
func startServeProcess(t *testing.T, key string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "-listen", "127.0.0.1:0", "-key", keyFile(t, key)}, args...)...)
	cmd.Env = append(os.Environ(), asCompareEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	addr, ok := servedAddr(out)
	if !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("compare serve did not start")
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	interruptAtCleanup(t, cmd)
	return addr
}

// interruptAtCleanup stops a started compare serve process when the test
// ends as Ctrl-C would, and checks that it exits cleanly within 10
// seconds; past them it is killed.
func interruptAtCleanup(t *testing.T, cmd *exec.Cmd) {
	t.Cleanup(func() {
		assert.NoError(t, cmd.Process.Signal(os.Interrupt))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "compare serve exits cleanly")
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Error("compare serve ignored the interrupt")
		}
	})
}

const testKey = "0123456789abcdef0123456789abcdef"

// Two processes on loopback: compare serve, and compare -remote against
// it, every workload over every transport, both ways at once. The same
// rows as a local run, each complete, the JSON of the schema.
func TestRemoteAgainstServeProcess(t *testing.T) {
	addr := startServeProcess(t, testKey)
	code, out, errs := run(t, t.Context(), "-remote", addr, "-key", keyFile(t, testKey), "-bidir",
		"-count", "30", "-interval", "2ms", "-duration", "300ms", "-format", "json")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, errs, "session open")
	resultstest.RequireSchema(t, []byte(out))
	recs := records(t, out, 1)
	rec := recs[0]
	assert.Equal(t, "remote", rec.Scenario.Link)
	assert.Equal(t, "remote 127.0.0.1", rec.Scenario.Name)
	assert.Equal(t, "bidir", rec.Scenario.Direction)
	assert.Len(t, rec.Results, 5+10+8+1)
	for _, r := range rec.Results {
		k := r.Workload + "/" + r.Transport + "/" + r.Direction
		assert.Empty(t, r.Error, k)
		if r.Workload == catalog.Stream {
			assert.EqualValues(t, 30, r.Delivered, k)
			require.NotNil(t, r.ClockBoundMs, k)
		}
	}
}

// A wrong key is refused within a second, in one line that says so.
func TestRemoteWrongKeyIsRefusedWithinASecond(t *testing.T) {
	addr := startServeProcess(t, testKey)
	start := time.Now()
	code, out, errs := run(t, t.Context(), "-remote", addr, "-key", keyFile(t, "not the key the server holds"))
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
	assert.Contains(t, errs, "wrong key")
	assert.Contains(t, errs, "-key")
}

// A download cut short over -remote counts what the other host sent
// until then: the cut reaches its server half, which stops and reports
// (it read "sent 0" before, the half still sending when asked).
func TestRemoteInterruptedDownloadCounts(t *testing.T) {
	addr := startServeProcess(t, testKey)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	code, out, errs := run(t, ctx, "-remote", addr, "-key", keyFile(t, testKey), "-reverse", "-workload", "stream",
		"-transports", "tcp", "-count", "5000", "-interval", "5ms", "-format", "json")
	assert.Less(t, time.Since(start), 2*time.Second, "it stops within a second of the cut")
	assert.Equal(t, exitFail, code, errs)
	r := records(t, out, 1, errs)[0].Results[0]
	t.Logf("sent %d, delivered %d, lost %d, in flight %d", r.Sent, r.Delivered, r.Lost, r.InFlight)
	assert.True(t, r.Interrupted)
	assert.Empty(t, r.Error)
	assert.Positive(t, r.Delivered)
	assert.Zero(t, r.Lost, "TCP loses nothing")
	assert.Equal(t, r.Sent, r.Delivered+r.InFlight)
}
