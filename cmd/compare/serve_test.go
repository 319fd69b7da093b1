package main

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/quic"
)

// udpEchoReplies sends n numbered datagrams to the UDP echo on port, at
// about 5,000 a second, and counts the replies; it also returns how long
// after the first datagram the last reply came.
func udpEchoReplies(t *testing.T, port, n int) (int, time.Duration) {
	t.Helper()
	c, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", itoa(port)))
	require.NoError(t, err)
	defer c.Close()
	// Room for the replies of a reader the machine holds up (the kernel
	// caps it at net.core.rmem_max).
	_ = c.(*net.UDPConn).SetReadBuffer(4 << 20)
	type outcome struct {
		replies int
		last    time.Time
	}
	got := make(chan outcome, 1)
	go func() {
		var o outcome
		buf := make([]byte, 64)
		for {
			c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, err := c.Read(buf); err != nil {
				got <- o
				return
			}
			o.replies++
			o.last = time.Now()
		}
	}()
	start := time.Now()
	for i := range n {
		_, err := c.Write([]byte("probe " + strconv.Itoa(i)))
		require.NoError(t, err)
		if i%10 == 9 {
			// Room for the replies to be read: a socket's receive
			// buffer of the default size holds a few hundred, some
			// 50 ms of them at this pace. At 20,000 a second a reader
			// the loaded machine held up lost part of the burst (856
			// replies).
			time.Sleep(2 * time.Millisecond)
		}
	}
	o := <-got
	return o.replies, o.last.Sub(start)
}

// A flood from one source is held to -rate-limit (1000 a second, a
// second's worth at once, by default); -rate-limit 0 lifts it.
func TestServeRateLimitsUDPEcho(t *testing.T) {
	const sent = 3000
	for _, tc := range []struct {
		name    string
		args    []string
		limited bool
	}{
		{"default", nil, true},
		{"lifted", []string{"-rate-limit", "0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			port, done := startServe(t, ctx, tc.args...)
			replies, took := udpEchoReplies(t, port, sent)
			cancel()
			assert.Equal(t, exitOK, <-done)
			t.Logf("%d of %d answered, the last after %v", replies, sent, took)
			if tc.limited {
				// The burst, plus what refilled until the last answer.
				most := defaultRateLimit * (1 + took.Seconds())
				assert.LessOrEqual(t, float64(replies), most+1, "a flooding source is answered at the limit")
				assert.GreaterOrEqual(t, replies, 1000, "the burst is answered")
			} else {
				assert.Greater(t, replies, 2000, "no limit")
			}
		})
	}
}

// The harness's QUIC servers let a connection open 10,000 streams; the
// ones compare serve runs for strangers, serveQUIC.MaxStreams.
func TestServeBoundsQUICStreamsPerConnection(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	port, done := startServe(t, ctx)
	id, err := quic.DefaultIdentity()
	require.NoError(t, err)
	for _, p := range []int{port + 2, port + 3} { // the echo, the sink
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		tr := &quicgo.Transport{Conn: pc}
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := tr.Dial(dctx, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}, id.ClientTLS(), nil)
		dcancel()
		require.NoError(t, err)
		open := 0
		for ; open <= quic.DefaultMaxStreams; open++ {
			if _, err := c.OpenStream(); err != nil {
				break
			}
		}
		assert.Equal(t, int(serveQUIC.MaxStreams), open, "streams one connection may hold open on port %d", p)
		c.CloseWithError(0, "")
		tr.Close()
		pc.Close()
	}
	cancel()
	assert.Equal(t, exitOK, <-done)
}
