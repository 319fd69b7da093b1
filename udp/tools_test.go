package udp

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
)

// Real clients against our UDP echo server.
func TestEchoWithRealClients(t *testing.T) {
	srv := &EchoServer{}
	addr := start(t, srv.Serve)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	payload := []byte("one datagram, echoed whole")

	t.Run("nc", func(t *testing.T) {
		nc := testutil.NeedTool(t, "nc")
		// -w1: quit after a second with nothing to read, once the reply is in.
		out, err := testutil.Run(t, 10*time.Second, payload, nc, "-u", "-w1", host, port)
		require.NoError(t, err)
		assert.Equal(t, string(payload), string(out))
	})
	t.Run("socat", func(t *testing.T) {
		socat := testutil.NeedTool(t, "socat")
		out, err := testutil.Run(t, 10*time.Second, payload, socat, "-T1", "-", "UDP:"+addr)
		require.NoError(t, err)
		assert.Equal(t, string(payload), string(out))
	})
	t.Run("nc from an echo-loop port gets nothing", func(t *testing.T) {
		nc := testutil.NeedTool(t, "nc")
		probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 19})
		if err != nil {
			t.Skipf("cannot bind port 19 (needs root): %v", err)
		}
		probe.Close()
		refused := srv.Stats().Refused
		out, err := testutil.Run(t, 10*time.Second, payload, nc, "-u", "-w1", "-p", "19", host, port)
		require.NoError(t, err)
		assert.Empty(t, out, "a chargen-port source must not get an echo")
		assert.Equal(t, refused+1, srv.Stats().Refused, "the server saw the datagram and refused it")
	})
}

// Our client against socat as a UDP echo server.
func TestClientWithSocatEcho(t *testing.T) {
	socat := testutil.NeedTool(t, "socat")
	port := testutil.FreePort(t, "udp")
	testutil.Start(t, nil, socat, fmt.Sprintf("UDP-RECVFROM:%d,bind=127.0.0.1,fork", port), "PIPE")
	c, err := Dial(t.Context(), dialer, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 2048)
	// socat may not be listening yet: ask until it answers.
	var n int
	require.Eventually(t, func() bool {
		if err := c.WriteMsg([]byte("hello socat")); err != nil {
			return false
		}
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err = c.ReadMsg(buf)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "hello socat", string(buf[:n]))
}
