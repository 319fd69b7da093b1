package tcp

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/wire"
)

// testIdle is the IdleTimeout these tests give servers: connections that
// stop must be gone within two of it, and the tests wait well past that.
const testIdle = 100 * time.Millisecond

// closedWithin reports whether the server closed c within d: a read ends
// with EOF (or a reset) rather than c's own deadline.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

func dialTCP(t *testing.T, addr string, first string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	if first != "" {
		_, err = c.Write([]byte(first))
		require.NoError(t, err)
	}
	return c
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	echo := startEcho(t, &EchoServer{IdleTimeout: testIdle})
	sink := startServer(t, (&Sink{IdleTimeout: testIdle}).Serve)
	for _, tc := range []struct {
		name, addr, first string
	}{
		{"echo, nothing sent", echo, ""},
		{"echo, a few bytes then nothing", echo, "abc"},
		{"sink, nothing sent", sink, ""},
		// The probe: three bytes, then silence.
		{"sink, message flow cut short", sink, "M\x00\x00"},
		{"sink, bulk flow gone quiet", sink, "Bxyz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialTCP(t, tc.addr, tc.first)
			assert.True(t, closedWithin(t, c, 20*testIdle), "an idle connection is held open")
		})
	}
}

// A message trickled byte by byte never completes: the sink counts only
// whole messages as progress, so it cuts the client off like an idle one.
func TestSinkCutsOffATrickledMessage(t *testing.T) {
	addr := startServer(t, (&Sink{IdleTimeout: testIdle}).Serve)
	c := dialTCP(t, addr, "M\x00\x00\x01\x00") // a 256-byte message to come
	stop := time.After(20 * testIdle)
	tick := time.NewTicker(testIdle / 4)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			t.Fatal("the sink kept a trickling client for 20 idle timeouts")
		case <-tick.C:
		}
		if _, err := c.Write([]byte{'x'}); err != nil {
			return // the sink closed the connection
		}
	}
}

// Progress keeps a connection: messages paced well inside the timeout,
// for many timeouts, all arrive.
func TestSinkKeepsASlowSteadyClient(t *testing.T) {
	var rec recorder
	srv := rec.sink(t)
	srv.IdleTimeout = testIdle
	addr := startServer(t, srv.Serve)
	c, err := DialMessages(t.Context(), dialer, addr, Options{})
	require.NoError(t, err)
	msg := make([]byte, 160)
	// A quarter of the timeout apart: a loaded machine (CI runs packages
	// side by side under the race detector) may stretch a sleep.
	const n = 24
	for i := range n {
		time.Sleep(testIdle / 4)
		wire.PutHeader(msg, wire.Header{Seq: uint64(i)})
		require.NoError(t, c.WriteMsg(msg))
	}
	require.NoError(t, c.Finish(t.Context()))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Len(t, rec.msgs, n)
}

// A client that sends and never reads fills the buffers both ways, and
// then the echo server's write waits: that wait has the same bound.
func TestEchoCutsOffAClientThatNeverReads(t *testing.T) {
	addr := startEcho(t, &EchoServer{IdleTimeout: testIdle})
	c := dialTCP(t, addr, "")
	chunk := make([]byte, 64<<10)
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(40*testIdle)))
	for {
		if _, err := c.Write(chunk); err != nil {
			assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server still holds a client that never reads: %v", err)
			return
		}
	}
}

// sockperf messages larger than the buffer a connection starts with: it
// grows, keeping the header already read.
func TestSockperfEchoLargeMessage(t *testing.T) {
	addr := startEcho(t, &EchoServer{Sockperf: true})
	c := dialTCP(t, addr, "")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	for _, size := range []int{100, 10 << 10, 64 << 10} {
		ping := make([]byte, size)
		wire.PutSockperfHeader(ping, uint64(size), size)
		for i := wire.SockperfHeaderLen; i < size; i++ {
			ping[i] = byte(i)
		}
		_, err := c.Write(ping)
		require.NoError(t, err)
		got := make([]byte, size)
		_, err = io.ReadFull(c, got)
		require.NoError(t, err)
		assert.Equal(t, ping[:8], got[:8], "the reply is to this message")
		assert.Equal(t, ping[10:], got[10:], "the body comes back whole")
	}
}
