package tcp

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/busypoll"
	"netmatrix/internal/neterr"
	"netmatrix/internal/testutil"
	"netmatrix/internal/wire"
)

// connPair returns both ends of a loopback TCP connection.
func connPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return testutil.ConnPair(t, ln, func(addr string) (net.Conn, error) { return net.Dial("tcp", addr) })
}

// The busy-polling reader behaves as the conn's own Read: data that
// comes late (after the busy-poll gave up), deadlines, the peer's close,
// and a local Close.
func TestBusyPollReader(t *testing.T) {
	buf := make([]byte, 64)
	t.Run("late data", func(t *testing.T) {
		c, s := connPair(t)
		r := newReader(c, busypoll.Default)
		time.AfterFunc(50*time.Millisecond, func() { s.Write([]byte("late")) })
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := r.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "late", string(buf[:n]))
	})
	t.Run("deadline", func(t *testing.T) {
		c, _ := connPair(t)
		r := newReader(c, busypoll.Default)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		t0 := time.Now()
		_, err := r.Read(buf)
		assert.True(t, neterr.IsTimeout(err), "got %v", err)
		assert.Less(t, time.Since(t0), time.Second)
	})
	t.Run("peer closes", func(t *testing.T) {
		c, s := connPair(t)
		r := newReader(c, busypoll.Default)
		_, err := s.Write([]byte("bye"))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		got, err := io.ReadAll(r)
		require.NoError(t, err, "EOF ends ReadAll cleanly")
		assert.Equal(t, "bye", string(got))
	})
	t.Run("closed under a read", func(t *testing.T) {
		c, _ := connPair(t)
		r := newReader(c, busypoll.Default)
		time.AfterFunc(20*time.Millisecond, func() { c.Close() })
		_, err := r.Read(buf)
		assert.ErrorIs(t, err, net.ErrClosed)
	})
	t.Run("off", func(t *testing.T) {
		c, _ := connPair(t)
		assert.Equal(t, c, newReader(c, busypoll.Budget(-1)), "a negative BusyPoll reads the conn directly")
		pipe, other := net.Pipe()
		defer pipe.Close()
		defer other.Close()
		assert.Equal(t, pipe, newReader(pipe, busypoll.Default), "not a host socket")
	})
}

func TestEchoWithoutBusyPoll(t *testing.T) {
	addr := startEcho(t, &EchoServer{BusyPoll: -1})
	c, err := DialEcho(t.Context(), dialer, addr, Options{BusyPoll: -1})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "no spinning", string(testutil.Echo(t, c, []byte("no spinning"))))
}

// SendBulk gathers several windows of the pattern per write; transfers
// that end inside a window, on a window's edge and past one write must
// all arrive intact.
func TestSendBulkSizes(t *testing.T) {
	for _, size := range []int64{1, wire.PatternLen - 1, wire.PatternLen, wire.PatternLen + 1, bulkWrite, bulkWrite + 1, 3*bulkWrite + 12345} {
		t.Run(strconv.FormatInt(size, 10), func(t *testing.T) {
			var rec recorder
			addr := startServer(t, rec.sink(t).Serve)
			c, err := DialBulk(t.Context(), dialer, addr, Options{})
			require.NoError(t, err)
			sent, err := c.SendBulk(t.Context(), time.Time{}, size)
			require.NoError(t, err)
			require.NoError(t, c.Finish(t.Context()))
			rec.mu.Lock()
			defer rec.mu.Unlock()
			assert.Equal(t, size, sent)
			assert.Equal(t, size, rec.bulk)
			assert.True(t, rec.intact)
		})
	}
}
