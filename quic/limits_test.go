package quic

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawDial opens a plain quic-go connection to addr, from a socket of its
// own, as a client that follows none of this package's conventions would.
func rawDial(t *testing.T, addr string) (*quicgo.Conn, error) {
	t.Helper()
	return rawDialer(t, addr)()
}

// rawDialer sets up what rawDial needs and returns the dial itself, which
// other goroutines may call.
func rawDialer(t *testing.T, addr string) func() (*quicgo.Conn, error) {
	t.Helper()
	id, err := DefaultIdentity()
	require.NoError(t, err)
	raddr, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	pc := listen(t)
	tr := &quicgo.Transport{Conn: pc}
	t.Cleanup(func() { tr.Close(); pc.Close() })
	return func() (*quicgo.Conn, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		c, err := tr.Dial(ctx, raddr, id.ClientTLS(), &quicgo.Config{MaxIncomingUniStreams: -1})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { c.CloseWithError(0, "") })
		return c, nil
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// The probe, scaled down: thousands of streams per message, each
// sent most of a message and never finished. The sink read them all as
// they came and held every byte (2,000 streams of 1 MB: 2.5 GB); it must
// hold no more than the connection's window of them.
func TestSinkBoundsUnfinishedStreams(t *testing.T) {
	const (
		streams = 2000
		each    = 32 << 10 // 62.5 MiB offered in all
		window  = 256 << 10
	)
	cfg := Config{StreamWindow: window}
	connWindow := cfg.withDefaults().ConnWindow
	addr := startServer(t, (&Sink{Config: cfg}).Serve)
	c, err := rawDial(t, addr)
	require.NoError(t, err)
	base := liveHeap()

	payload := make([]byte, each)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stopped int // streams the sink refused
	)
	for range streams {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			st, err := c.OpenUniStreamSync(ctx)
			if err != nil {
				return
			}
			st.SetWriteDeadline(time.Now().Add(10 * time.Second))
			// No Close: the message never ends.
			_, err = st.Write(payload)
			var se *quicgo.StreamError
			if errors.As(err, &se) && se.ErrorCode == codeBusy {
				mu.Lock()
				stopped++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	held := int64(liveHeap()) - int64(base)
	t.Logf("%d streams of %d KiB offered, %d stopped by the sink; heap grew %.1f MiB", streams, each>>10, stopped, float64(held)/(1<<20))
	// The sink's copies, up to the window; quic-go's buffers, up to the
	// window; and per stream and connection state on both ends, which
	// is most of it.
	bound := int64(2*connWindow) + 16<<20
	assert.Less(t, held, bound, "heap held by %d unfinished streams", streams)
	assert.Greater(t, stopped, streams/2, "the sink stops streams past its window")
}

// echoOnce proves the server has taken c in: it echoes on a stream.
func echoOnce(t *testing.T, c *quicgo.Conn) {
	t.Helper()
	st, err := c.OpenStream()
	require.NoError(t, err)
	_, err = st.Write([]byte("hi"))
	require.NoError(t, err)
	require.NoError(t, st.Close())
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(st)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))
}

// One address may hold only so many connections; one that closes makes
// room for another.
func TestServerLimitsConnectionsPerSource(t *testing.T) {
	addr := startServer(t, (&EchoServer{Config: Config{MaxConnsPerSource: 2}}).Serve)
	first, err := rawDial(t, addr)
	require.NoError(t, err)
	second, err := rawDial(t, addr)
	require.NoError(t, err)
	echoOnce(t, first)
	echoOnce(t, second)
	_, err = rawDial(t, addr)
	var te *quicgo.TransportError
	assert.True(t, errors.As(err, &te) && te.ErrorCode == quicgo.ConnectionRefused,
		"a third connection from 127.0.0.1 is refused at the handshake: %v", err)

	first.CloseWithError(0, "")
	assert.Eventually(t, func() bool { return kept(rawDialer(t, addr)) }, 5*time.Second, 50*time.Millisecond,
		"room for another once one closed")
}

// Handshakes from one address side by side all find room; only so many
// of the connections stay.
func TestServerLimitsConcurrentHandshakes(t *testing.T) {
	addr := startServer(t, (&EchoServer{Config: Config{MaxConnsPerSource: 2}}).Serve)
	var (
		wg sync.WaitGroup
		up atomic.Int32
	)
	for range 6 {
		dial := rawDialer(t, addr)
		wg.Go(func() {
			if kept(dial) {
				up.Add(1)
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, up.Load(), int32(2))
}

// kept dials and reports whether the connection is still up a moment
// after the handshake: not refused, and not closed once accepted.
func kept(dial func() (*quicgo.Conn, error)) bool {
	c, err := dial()
	if err != nil {
		return false
	}
	select {
	case <-c.Context().Done():
		return false
	case <-time.After(300 * time.Millisecond):
		return true
	}
}
