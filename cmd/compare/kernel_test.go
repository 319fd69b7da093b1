//go:build linux

package main

import (
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/netpath/kernel"
	"netmatrix/results"
)

// needKernel skips t where this process cannot build a kernel path.
func needKernel(t *testing.T) {
	t.Helper()
	if err := kernel.Supported(); err != nil {
		t.Skipf("-link kernel: %v (CI runs these tests as root)", err)
	}
}

func TestKernelLinkRunsEveryTransportAndWorkload(t *testing.T) {
	needKernel(t)
	code, out, errs := run(t, t.Context(), "-link", "kernel", "-loss", "2%", "-delay", "2ms", "-seed", "3",
		"-count", "20", "-interval", "2ms", "-duration", "300ms", "-format", "json")
	require.Equal(t, exitOK, code, errs)
	recs := records(t, out, 1)
	rec := recs[0]
	assert.Equal(t, "kernel", rec.Scenario.Link)
	assert.Equal(t, "reno", rec.Scenario.CongestionControl)
	rows := make(map[string]results.Result)
	for _, r := range rec.Results {
		assert.Empty(t, r.Error, "%s/%s", r.Workload, r.Transport)
		require.NotNil(t, r.Path, "%s/%s", r.Workload, r.Transport)
		rows[r.Workload+"/"+r.Transport] = r
	}
	// Every row the emulated path has: five transports for echo and
	// stream, four for bulk (no stream per message), TCP alone for http.
	assert.Len(t, rows, 5+5+4+1)
	// TCP's own view of the connection sits next to the application's.
	for _, k := range []string{"echo/tcp", "stream/tcp", "bulk/tcp"} {
		ts := rows[k].TransportStats
		assert.EqualValues(t, 1448, ts["tcp_snd_mss"], k)
		assert.GreaterOrEqual(t, ts["tcp_min_rtt_us"], uint64(4000), "%s: the link's 4 ms round trip", k)
	}
	assert.Positive(t, rows["bulk/udp"].Path.Up.Lost, "the link dropped datagrams")
	assert.Equal(t, rows["bulk/udp"].Path.Up.Lost, uint64(rows["bulk/udp"].Lost), "UDP lost what the link dropped")
}

func TestKernelWithoutRootSaysWhatItNeeds(t *testing.T) {
	if kernel.Supported() != nil {
		// Without the capabilities: the test itself is the user
		// without privileges.
		want := "needs root"
		if os.Geteuid() != 0 {
			// An ordinary user runs the path in a user namespace
			// where the host allows it (rootless_test.go); with no
			// TUN device to open, it cannot.
			t.Setenv(kernel.TUNDeviceEnv, t.TempDir()+"/none")
			want = "names the TUN device node"
		}
		code, out, errs := run(t, t.Context(), "-link", "kernel", "-count", "5")
		assert.Equal(t, exitFail, code)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		assert.Contains(t, errs, want)
		return
	}
	// Root: run this test again with every capability dropped.
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed, to run without capabilities")
	}
	out, err := exec.CommandContext(t.Context(), setpriv, "--inh-caps=-all", "--bounding-set=-all",
		os.Args[0], "-test.run=^TestKernelWithoutRootSaysWhatItNeeds$", "-test.v").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestKernelWithoutRootSaysWhatItNeeds")
}

func TestKernelExec(t *testing.T) {
	needKernel(t)
	self := os.Args[0]
	t.Setenv("NMX_EXEC_HELPER", "1")
	pidFile := t.TempDir() + "/pid"
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string
		lastLine string // of stderr
	}{
		{
			name:   "echo through the link",
			args:   []string{"-delay", "5ms", "-exec", self + " -test.run=^TestExecHelper$ -- dial tcp 7007"},
			stdout: "echoed by 10.77.0.2:7007 from 10.77.0.1",
		},
		{
			name:   "own server",
			args:   []string{"-exec-server", self + " -test.run=^TestExecHelper$ -- serve tcp 5201", "-exec", self + " -test.run=^TestExecHelper$ -- dial tcp 5201"},
			stdout: "echoed by 10.77.0.2:5201 from 10.77.0.1",
		},
		{
			name: "exit code",
			args: []string{"-exec", "exit 3"},
			code: 3,
		},
		{
			name: "background jobs end with the path",
			args: []string{"-exec", "sleep 30 & echo $! > " + pidFile},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, out, errs := run(t, t.Context(), append([]string{"-link", "kernel"}, tc.args...)...)
			assert.Equal(t, tc.code, code, errs)
			assert.Contains(t, out, tc.stdout)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			assert.Contains(t, lines[0], "client 10.77.0.1, server 10.77.0.2")
			assert.Contains(t, lines[len(lines)-1], "compare: link up ")
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/stat")
	if err == nil { // not yet reaped by init: it must be dead
		assert.Contains(t, string(stat), ") Z ", "the background job was ended")
	}
	t.Run("refused", func(t *testing.T) {
		for _, args := range [][]string{
			{"-exec", "true"},
			{"-link", "loopback", "-exec", "true"},
			{"-link", "kernel", "-exec-server", "true"},
		} {
			code, _, errs := run(t, t.Context(), args...)
			assert.Equal(t, exitUsage, code, "%v: %s", args, errs)
		}
	})
}

// TestExecHelper is the program -exec runs in TestKernelExec: "serve tcp
// PORT" echoes one connection, "dial tcp PORT" sends a line to
// $NMX_SERVER:PORT and prints who echoed it.
func TestExecHelper(t *testing.T) {
	if os.Getenv("NMX_EXEC_HELPER") != "1" {
		t.Skip("run by TestKernelExec through -exec")
	}
	args := flagArgs()
	require.Len(t, args, 3, "serve|dial tcp PORT")
	addr := net.JoinHostPort(os.Getenv(kernel.ServerEnv), args[2])
	switch args[0] {
	case "serve":
		ln, err := net.Listen("tcp4", ":"+args[2])
		require.NoError(t, err)
		c, err := ln.Accept()
		require.NoError(t, err)
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Close()
		ln.Close()
	case "dial":
		c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("hello\n"))
		require.NoError(t, err)
		buf := make([]byte, 64)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := c.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "hello\n", string(buf[:n]))
		host, _, _ := net.SplitHostPort(c.LocalAddr().String())
		fmt.Printf("echoed by %s from %s\n", c.RemoteAddr(), host)
	}
}

// flagArgs are the arguments after "--" on the test binary's command line.
func flagArgs() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// compare serve and compare -remote in the kernel path's two namespaces,
// across its impaired link, as two hosts would be: UDP's stream loses
// what the link loses, TCP's delivers everything, and the one-way delay
// is the link's within the bound the clock estimate reports, both ways.
func TestRemoteAcrossTheKernelPath(t *testing.T) {
	needKernel(t)
	const (
		delay = 10 * time.Millisecond
		count = 1000
	)
	self := os.Args[0]
	key := keyFile(t, testKey)
	asCompare := asCompareEnv + "=1 " + self
	code, out, errs := run(t, t.Context(), "-link", "kernel", "-loss", "3%", "-delay", delay.String(), "-seed", "3",
		"-exec-server", asCompare+" serve -listen $"+kernel.ServerEnv+":7100 -key "+key,
		"-exec", asCompare+" -remote $"+kernel.ServerEnv+":7100 -key "+key+
			" -workload stream -transports tcp,udp -bidir -count "+strconv.Itoa(count)+" -interval 1ms -format json")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, errs, "reachable from other hosts", "serve says it listens beyond loopback")
	recs := records(t, out, 1, errs)
	rows := map[string]results.Result{}
	for _, r := range recs[0].Results {
		rows[r.Transport+"/"+r.Direction] = r
	}
	require.Len(t, rows, 4)
	for _, dir := range []string{"up", "down"} {
		udp, tcp := rows["udp/"+dir], rows["tcp/"+dir]
		assert.Empty(t, udp.Error, dir)
		assert.Empty(t, tcp.Error, dir)
		assert.EqualValues(t, count, tcp.Delivered, "%s: TCP delivered everything", dir)
		// 3% of 1000 messages, within five standard deviations.
		assert.InDelta(t, 0.03, float64(udp.Lost)/float64(udp.Sent), 5*math.Sqrt(0.03*0.97/count), "%s: UDP lost the link's share", dir)
		require.NotNil(t, udp.ClockBoundMs, dir)
		bound := *udp.ClockBoundMs
		p50 := udp.LatencyMs.P50
		t.Logf("%s: udp lost %d of %d; one-way delay p50 %.3f ms, clock offset %.3f ms ± %.3f ms", dir, udp.Lost, udp.Sent, p50, *udp.ClockOffsetMs, bound)
		// The link's delay, within the bound and a millisecond of
		// processing and jitter-free scheduling.
		assert.InDelta(t, float64(delay)/float64(time.Millisecond), p50, bound+1, "%s: one-way delay", dir)
	}
}
