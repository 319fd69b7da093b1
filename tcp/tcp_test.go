package tcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"strconv"
	"sync"
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

// startEcho runs an EchoServer on a loopback port until the test ends.
func startEcho(tb testing.TB, srv *EchoServer) string {
	tb.Helper()
	return startServer(tb, srv.Serve)
}

func startServer(tb testing.TB, serve func(context.Context, net.Listener) error) string {
	tb.Helper()
	ln, err := Listen(context.Background(), "127.0.0.1:0")
	require.NoError(tb, err)
	testutil.Serve(tb, func(ctx context.Context) error { return serve(ctx, ln) })
	return ln.Addr().String()
}

func TestEchoByteExact(t *testing.T) {
	addr := startEcho(t, &EchoServer{})
	for _, size := range []int{1, 2, 15, 16, 160, 1400, 1460, 4096, 65535, 65536} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c, err := DialEcho(t.Context(), dialer, addr, Options{})
			require.NoError(t, err)
			defer c.Close()
			msg := make([]byte, size)
			rand.Read(msg)
			got := testutil.Echo(t, c, msg)
			assert.True(t, bytes.Equal(msg, got), "echo differs from what was sent")
		})
	}
}

func TestEchoHalfClose(t *testing.T) {
	addr := startEcho(t, &EchoServer{})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	require.NoError(t, err, "the server closes its side after echoing")
	assert.Equal(t, "last words", string(got))
}

// recorder collects a Sink's reports. The sink reports from its own
// goroutine and the network, not Go, orders its reports before Finish
// returns, so the race detector needs the lock to see that order.
type recorder struct {
	mu     sync.Mutex
	msgs   []wire.Header
	bulk   int64
	intact bool
}

func (r *recorder) sink(t *testing.T) *Sink {
	r.intact = true
	return &Sink{
		OnMessage: func(m []byte, _ int64) {
			h, err := wire.ParseHeader(m)
			assert.NoError(t, err)
			r.mu.Lock()
			r.msgs = append(r.msgs, h)
			r.mu.Unlock()
		},
		OnBytes: func(chunk []byte, _ int64) {
			r.mu.Lock()
			r.intact = r.intact && CheckBulk(r.bulk, chunk)
			r.bulk += int64(len(chunk))
			r.mu.Unlock()
		},
	}
}

func TestSinkMessages(t *testing.T) {
	var rec recorder
	addr := startServer(t, rec.sink(t).Serve)
	c, err := DialMessages(t.Context(), dialer, addr, Options{})
	require.NoError(t, err)
	msg := make([]byte, 160)
	for i := range 50 {
		wire.PutHeader(msg, wire.Header{Seq: uint64(i), Sent: wire.Now()})
		require.NoError(t, c.WriteMsg(msg))
	}
	require.NoError(t, c.Finish(t.Context()))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.msgs, 50, "Finish returns only after the sink reported every message")
	for i, h := range rec.msgs {
		assert.Equal(t, uint64(i), h.Seq)
	}
}

func TestSinkBulk(t *testing.T) {
	var rec recorder
	addr := startServer(t, rec.sink(t).Serve)
	b, err := DialBulk(t.Context(), dialer, addr, Options{})
	require.NoError(t, err)
	const size = 3<<20 + 17
	sent, err := b.SendBulk(t.Context(), time.Time{}, size)
	require.NoError(t, err)
	require.NoError(t, b.Finish(t.Context()))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, int64(size), sent)
	assert.Equal(t, sent, rec.bulk)
	assert.True(t, rec.intact, "every chunk matched the pattern at its offset")
}

func TestCheckBulkCatchesShiftedData(t *testing.T) {
	chunk := append([]byte(nil), wire.Pattern(1000, 4096)...)
	assert.True(t, CheckBulk(1000, chunk))
	assert.False(t, CheckBulk(1001, chunk), "one byte off")
	chunk[100] ^= 1
	assert.False(t, CheckBulk(1000, chunk), "one bit flipped")
}

func TestServeStopsOnCancel(t *testing.T) {
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	require.NoError(t, err)
	stop := testutil.Serve(t, func(ctx context.Context) error { return (&EchoServer{}).Serve(ctx, ln) })
	// An open, idle connection must not keep the server alive.
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)

	stop()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(buf)
	assert.Error(t, err, "the server closed the connection")
	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err, "the listener is closed")
}

func TestSockperfEcho(t *testing.T) {
	addr := startEcho(t, &EchoServer{Sockperf: true})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))

	// A message without the pong flag gets no reply; one with it does,
	// with the client flag cleared.
	quiet := make([]byte, 64)
	wire.PutSockperfHeader(quiet, 1, len(quiet))
	quiet[9] &^= 2 // clear the pong flag
	ping := make([]byte, 64)
	wire.PutSockperfHeader(ping, 2, len(ping))
	_, err = c.Write(append(quiet, ping...))
	require.NoError(t, err)
	got := make([]byte, 64)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, ping[:8], got[:8], "the reply is to message 2")
	assert.Equal(t, byte(2), got[9], "pong flag kept, client flag cleared")
	assert.Equal(t, ping[10:], got[10:])
}
