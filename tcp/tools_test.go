package tcp

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
)

// Real clients against our echo server: what a user types to try it.
func TestEchoWithRealClients(t *testing.T) {
	addr := startEcho(t, &EchoServer{})
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	payload := bytes.Repeat([]byte("netmatrix echo over tcp\n"), 3000) // 72 KB: several segments

	t.Run("nc", func(t *testing.T) {
		nc := testutil.NeedTool(t, "nc")
		// -N: shut down the sending side at end of input, so the server's
		// EOF ends nc once everything has come back.
		out, err := testutil.Run(t, 10*time.Second, payload, nc, "-N", host, port)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(payload, out), "nc got %d bytes back, sent %d", len(out), len(payload))
	})
	t.Run("socat", func(t *testing.T) {
		socat := testutil.NeedTool(t, "socat")
		out, err := testutil.Run(t, 10*time.Second, payload, socat, "-t5", "-", "TCP:"+addr)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(payload, out), "socat got %d bytes back, sent %d", len(out), len(payload))
	})
}

// Our client against real servers: socat as an echo server, nc as a sink.
func TestClientWithRealServers(t *testing.T) {
	t.Run("socat echo", func(t *testing.T) {
		socat := testutil.NeedTool(t, "socat")
		port := testutil.FreePort(t, "tcp")
		testutil.Start(t, nil, socat, fmt.Sprintf("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", port), "PIPE")
		addr := "127.0.0.1:" + strconv.Itoa(port)
		testutil.WaitListening(t, addr)
		c, err := DialEcho(t.Context(), dialer, addr, Options{})
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		for i := range 20 {
			msg := []byte(fmt.Sprintf("message %02d through socat", i))
			require.NoError(t, c.WriteMsg(msg))
			got := make([]byte, len(msg))
			_, err := c.ReadMsg(got)
			require.NoError(t, err)
			assert.Equal(t, msg, got)
		}
	})
	t.Run("nc sink", func(t *testing.T) {
		nc := testutil.NeedTool(t, "nc")
		port := strconv.Itoa(testutil.FreePort(t, "tcp"))
		var got testutil.SyncBuffer
		cmd := testutil.Start(t, &got, nc, "-l", "127.0.0.1", port)
		addr := net.JoinHostPort("127.0.0.1", port)
		c := dialRetry(t, addr)
		const size = 1<<20 + 3
		sent, err := c.SendBulk(t.Context(), time.Time{}, size)
		require.NoError(t, err)
		require.Equal(t, int64(size), sent)
		require.NoError(t, c.Close())
		// nc exits when the connection ends; what it printed is what it got.
		require.NoError(t, cmd.Wait())
		assert.Equal(t, size, got.Len())
		assert.True(t, CheckBulk(0, got.Bytes()), "nc received exactly the bytes sent")
	})
}

// dialRetry connects to a server that a just-started tool is opening.
func dialRetry(t *testing.T, addr string) *Client {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := DialEcho(t.Context(), dialer, addr, Options{})
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
