package udp

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/internal/testutil"

	"netmatrix/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var dialer = (&net.Dialer{}).DialContext

// start runs serve on a loopback UDP socket until the test ends.
func start(tb testing.TB, serve func(context.Context, net.PacketConn) error) string {
	tb.Helper()
	pc, err := Listen(context.Background(), "127.0.0.1:0")
	require.NoError(tb, err)
	return startOn(tb, pc, serve)
}

// startOn runs serve on pc until the test ends.
func startOn(tb testing.TB, pc net.PacketConn, serve func(context.Context, net.PacketConn) error) string {
	tb.Helper()
	testutil.Serve(tb, func(ctx context.Context) error { return serve(ctx, pc) })
	return pc.LocalAddr().String()
}

func TestEchoByteExact(t *testing.T) {
	addr := start(t, (&EchoServer{}).Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 1<<16)
	// 65507 is the largest UDP payload over IPv4.
	for _, size := range []int{1, 2, 16, 160, 1400, 1472, 8192, 65507} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { echoRandom(t, c, buf, size) })
	}
}

// echoRandom sends size random bytes through the echo server c talks to
// and checks that exactly they come back.
func echoRandom(t *testing.T, c *Client, buf []byte, size int) {
	t.Helper()
	msg := make([]byte, size)
	rand.Read(msg)
	require.NoError(t, c.WriteMsg(msg))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := c.ReadMsg(buf)
	require.NoError(t, err)
	assert.Equal(t, size, n, "a reply is exactly as large as its request")
	assert.True(t, bytes.Equal(msg, buf[:n]))
}

func TestEchoRefusesLoopPorts(t *testing.T) {
	srv := &EchoServer{}
	addr := start(t, srv.Serve)
	dst, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	for _, port := range []int{7, 13, 17, 19} {
		t.Run(strconv.Itoa(port), func(t *testing.T) {
			// Binding a port below 1024 takes root (CI runs as root).
			src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				t.Skipf("cannot bind source port %d (needs root): %v", port, err)
			}
			defer src.Close()
			before := srv.Stats().Refused
			_, err = src.WriteTo([]byte("loop?"), dst)
			require.NoError(t, err)
			src.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			_, _, err = src.ReadFrom(make([]byte, 64))
			assert.Error(t, err, "no reply to a datagram from port %d", port)
			assert.Eventually(t, func() bool { return srv.Stats().Refused == before+1 }, time.Second, 5*time.Millisecond)
		})
	}
}

func TestEchoRateLimit(t *testing.T) {
	srv := &EchoServer{RateLimit: 10, Burst: 5}
	addr := start(t, srv.Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	const sent = 100
	for i := range sent {
		// Numbered, as real clients' are: the same bytes again and again
		// from this host would look like a loop (see loopGuard).
		require.NoError(t, c.WriteMsg([]byte("flood "+strconv.Itoa(i))))
	}
	replies := 0
	buf := make([]byte, 64)
	for {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.ReadMsg(buf); err != nil {
			break
		}
		replies++
	}
	// The burst of 5 plus whatever 10/s refilled while 100 datagrams went
	// out (well under a second).
	assert.GreaterOrEqual(t, replies, 5)
	assert.LessOrEqual(t, replies, 15)
	st := srv.Stats()
	assert.Equal(t, uint64(sent), st.Received)
	assert.Equal(t, uint64(replies), st.Answered)
	assert.Equal(t, uint64(sent-replies), st.Limited)
}

func TestLimiterRefills(t *testing.T) {
	l := newLimiter(10, 2)
	a := netipAddr(t, "192.0.2.1")
	now := time.Unix(1000, 0)
	assert.True(t, l.allow(a, now))
	assert.True(t, l.allow(a, now))
	assert.False(t, l.allow(a, now), "burst spent")
	assert.True(t, l.allow(a, now.Add(100*time.Millisecond)), "one token back after 1/10 s")
	assert.True(t, l.allow(netipAddr(t, "192.0.2.2"), now), "another source has its own bucket")
	l.sweep(now.Add(time.Hour))
	assert.Empty(t, l.buckets, "quiet sources are forgotten")
}

func TestListenDefaultsToLoopback(t *testing.T) {
	pc, err := Listen(t.Context(), ":0")
	require.NoError(t, err)
	defer pc.Close()
	assert.True(t, pc.LocalAddr().(*net.UDPAddr).IP.IsLoopback(), "bound to %v", pc.LocalAddr())
}

func TestSockperfEcho(t *testing.T) {
	addr := start(t, (&EchoServer{Sockperf: true}).Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	quiet := make([]byte, 64)
	wire.PutSockperfHeader(quiet, 1, len(quiet))
	quiet[9] &^= 2 // no pong wanted
	ping := make([]byte, 64)
	wire.PutSockperfHeader(ping, 2, len(ping))
	require.NoError(t, c.WriteMsg(quiet))
	require.NoError(t, c.WriteMsg(ping))
	buf := make([]byte, 128)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.ReadMsg(buf)
	require.NoError(t, err)
	require.Equal(t, 64, n)
	assert.Equal(t, ping[:8], buf[:8], "only message 2 is answered")
	assert.Equal(t, byte(2), buf[9], "client flag cleared")
}

func TestSinkAndBulk(t *testing.T) {
	var rec bulkRecorder
	addr := start(t, rec.sink().Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	// 20 Mbit/s of 1200-byte datagrams for 1000 datagrams: paced, so a
	// loopback receiver keeps up with every one.
	sent, err := c.SendBulk(t.Context(), Bulk{Size: 1200, Rate: 20e6, Count: 1000})
	require.NoError(t, err)
	assert.Equal(t, int64(1000), sent)
	rec.waitFor(t, 1000)
	rec.assertIntact(t, 1200)
}

func TestBulkPacing(t *testing.T) {
	// 400 datagrams of 1000 bytes at 8 Mbit/s is 0.4 s of sending: the
	// pacer must not finish much sooner.
	addr := start(t, (&Sink{}).Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	t0 := time.Now()
	_, err = c.SendBulk(t.Context(), Bulk{Size: 1000, Rate: 8e6, Count: 400})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(t0), 350*time.Millisecond)
}

func TestBulkRejectsBadSize(t *testing.T) {
	addr := start(t, (&Sink{}).Serve)
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.SendBulk(t.Context(), Bulk{Size: 8, Count: 1})
	assert.ErrorContains(t, err, "out of range")
	_, err = c.SendBulk(t.Context(), Bulk{})
	assert.ErrorContains(t, err, "deadline or a count")
}
