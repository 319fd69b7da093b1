//go:build unix

package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nofileEnv, set to a number, makes the test binary a `compare serve`
// child under that file-descriptor limit (see TestMain).
const nofileEnv = "NETMATRIX_TEST_SERVE_NOFILE"

// serveChild runs `compare serve -listen 127.0.0.1:0` under the limit
// nofileEnv names, until interrupted, if the variable is set.
func serveChild() (code int, isChild bool) {
	v := os.Getenv(nofileEnv)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err != nil {
		os.Stderr.WriteString("setrlimit: " + err.Error() + "\n")
		return exitFail, true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return Main(ctx, []string{"serve", "-listen", "127.0.0.1:0"}, os.Stdout, os.Stderr), true
}

// The probe, scaled down: with 64 descriptors and twice as many
// clients, compare serve used to exit ("accept4: too many open files")
// and take every listener with it. It must wait until clients leave, then
// serve again.
func TestServeOutlivesDescriptorLimit(t *testing.T) {
	const limit = 64
	addr := startServeChild(t, limit)

	// More clients than descriptors: the kernel completes every handshake
	// and queues what the server cannot accept.
	conns := make([]net.Conn, 0, 2*limit)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2 * limit {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	assert.Equal(t, "first", echoOnce(t, conns[0], "first", 5*time.Second), "the first client is served")
	// The last one waits in the queue: the limit is reached, and the
	// server is still there (a server that gave up would reset it).
	_, err := conns[len(conns)-1].Write([]byte("queued"))
	require.NoError(t, err)
	conns[len(conns)-1].SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = conns[len(conns)-1].Read(make([]byte, 8))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the server stopped at the limit instead of waiting")

	for _, c := range conns {
		c.Close()
	}
	conns = conns[:0]
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err, "the server stopped listening")
	conns = append(conns, c)
	assert.Equal(t, "again", echoOnce(t, c, "again", 10*time.Second), "served again once clients left")
}

// startServeChild starts this test binary as `compare serve` under a
// descriptor limit and returns its TCP echo address; the child is
// interrupted, and must exit cleanly, when the test ends.
func startServeChild(t *testing.T, limit int) string {
	t.Helper()
	// serve takes four ports in a row from a system-chosen first one: on
	// a clash with another program the child exits, and another try
	// gets another port.
	for range 5 {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), nofileEnv+"="+strconv.Itoa(limit))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		if addr, ok := servedAddr(out); ok {
			go io.Copy(io.Discard, out)
			interruptAtCleanup(t, cmd)
			return addr
		}
		_ = cmd.Wait()
	}
	t.Fatal("compare serve did not start")
	return ""
}

// echoOnce sends msg on c and returns what comes back, waiting up to d.
func echoOnce(t *testing.T, c net.Conn, msg string, d time.Duration) string {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	return string(got)
}
