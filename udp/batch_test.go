package udp

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/wire"
)

func TestDgramEachSplitsGRORuns(t *testing.T) {
	buf := []byte("aaabbbccd")
	for _, tc := range []struct {
		name string
		n    int
		seg  int
		want []string
	}{
		{"one datagram", 9, 0, []string{"aaabbbccd"}},
		{"exact multiple", 6, 3, []string{"aaa", "bbb"}},
		{"short last datagram", 9, 3, []string{"aaa", "bbb", "ccd"}},
		{"run of one", 3, 3, []string{"aaa"}},
		{"segment larger than the read", 2, 3, []string{"aa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dgram{buf: buf, n: tc.n, seg: tc.seg}
			var got []string
			d.each(func(msg []byte) { got = append(got, string(msg)) })
			assert.Equal(t, tc.want, got)
		})
	}
}

// opaquePacketConn hides the *net.UDPConn under a PacketConn, as an
// emulated stack's socket would: the servers must fall back to one
// datagram per call and still answer byte for byte.
type opaquePacketConn struct{ net.PacketConn }

func TestServersOnOpaquePacketConn(t *testing.T) {
	t.Run("echo", func(t *testing.T) {
		addr := startOn(t, opaque(t), (&EchoServer{}).Serve)
		c, err := Dial(t.Context(), dialer, addr)
		require.NoError(t, err)
		defer c.Close()
		buf := make([]byte, 1<<16)
		for _, size := range []int{1, 1400, 65507} {
			echoRandom(t, c, buf, size)
		}
	})
	t.Run("sink", func(t *testing.T) {
		var rec bulkRecorder
		addr := startOn(t, opaque(t), rec.sink().Serve)
		c, err := Dial(t.Context(), dialer, addr)
		require.NoError(t, err)
		defer c.Close()
		sent, err := c.SendBulk(t.Context(), Bulk{Size: 1000, Rate: 20e6, Count: 300})
		require.NoError(t, err)
		rec.waitFor(t, sent)
		rec.assertIntact(t, 1000)
	})
}

func opaque(t *testing.T) net.PacketConn {
	pc, err := Listen(t.Context(), "127.0.0.1:0")
	require.NoError(t, err)
	return opaquePacketConn{pc}
}

// A dialled conn that is not a *net.UDPConn sends its bulk datagrams one
// by one, with no GSO.
func TestBulkThroughOpaqueConn(t *testing.T) {
	var rec bulkRecorder
	addr := start(t, rec.sink().Serve)
	opaqueDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer(ctx, network, addr)
		return struct{ net.Conn }{c}, err
	}
	c, err := Dial(t.Context(), opaqueDial, addr)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 1, c.pio.segments(1200))
	sent, err := c.SendBulk(t.Context(), Bulk{Size: 1200, Rate: 20e6, Count: 500})
	require.NoError(t, err)
	assert.Equal(t, int64(500), sent)
	rec.waitFor(t, sent)
	rec.assertIntact(t, 1200)
}

// Bulk at several sizes, paced so a loopback sink misses nothing: with
// GSO on the sender and GRO on the sink, each datagram must still be
// reported on its own, at its own size, intact.
func TestBulkEveryDatagramSeparately(t *testing.T) {
	for _, size := range []int{wire.HeaderLen, 100, 1400, 1472, 9000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			var rec bulkRecorder
			addr := start(t, rec.sink().Serve)
			c, err := Dial(t.Context(), dialer, addr)
			require.NoError(t, err)
			defer c.Close()
			// 10,000 datagrams a second: some runs of several datagrams per
			// send, and a sink slowed down by -race still keeps up.
			const count = 1000
			sent, err := c.SendBulk(t.Context(), Bulk{Size: size, Rate: int64(size) * 8 * 10_000, Count: count})
			require.NoError(t, err)
			require.Equal(t, int64(count), sent)
			rec.waitFor(t, sent)
			rec.assertIntact(t, size)
		})
	}
}

// bulkRecorder checks what a Sink reports of a bulk transfer.
type bulkRecorder struct {
	mu     sync.Mutex
	seqs   map[uint64]bool
	sizes  map[int]int
	broken int
}

func (r *bulkRecorder) sink() *Sink {
	r.seqs, r.sizes = map[uint64]bool{}, map[int]int{}
	return &Sink{OnMessage: func(m []byte, _ int64) {
		seq, _, ok := CheckBulk(m)
		r.mu.Lock()
		defer r.mu.Unlock()
		if !ok {
			r.broken++
		}
		r.seqs[seq] = true
		r.sizes[len(m)]++
	}}
}

func (r *bulkRecorder) waitFor(t *testing.T, n int64) {
	t.Helper()
	assert.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return int64(len(r.seqs)) == n
	}, 5*time.Second, 5*time.Millisecond, "every datagram reported")
}

func (r *bulkRecorder) assertIntact(t *testing.T, size int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Zero(t, r.broken, "datagrams that failed the pattern check")
	assert.Equal(t, map[int]int{size: len(r.seqs)}, r.sizes, "each datagram reported alone, at its size")
}
