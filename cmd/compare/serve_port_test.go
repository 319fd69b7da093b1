package main

import (
	"net"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compare serve's sockets sit on four ports in a row. Given a port whose
// neighbour is taken, it says so and leaves nothing open; given none, it
// takes a row the system has free.
func TestServeSocketsTakeFourPortsInARow(t *testing.T) {
	socks, err := listenServe(t.Context(), "127.0.0.1", 0)
	require.NoError(t, err)
	port := socks.echoLn.Addr().(*net.TCPAddr).Port
	for i, a := range []net.Addr{socks.echoPC.LocalAddr(), socks.sinkLn.Addr(), socks.sinkPC.LocalAddr(), socks.quicEchoPC.LocalAddr(), socks.quicSinkPC.LocalAddr()} {
		_, p, err := net.SplitHostPort(a.String())
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(port+[]int{0, 1, 1, 2, 3}[i]), p, a)
	}
	socks.close()

	held, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+2)))
	require.NoError(t, err)
	_, err = listenServe(t.Context(), "127.0.0.1", port)
	assert.ErrorIs(t, err, syscall.EADDRINUSE, "a port asked for is not traded for another")
	held.Close()

	socks, err = listenServe(t.Context(), "127.0.0.1", port)
	require.NoError(t, err, "the failed try left none of its sockets open")
	socks.close()
}
