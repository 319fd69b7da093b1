package quic

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/qlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/internal/neterr"
	"netmatrix/internal/testutil"
	"netmatrix/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var shapes = []Shape{OneStream, StreamPerMessage, Datagrams}

// listen opens a UDP socket on loopback.
func listen(tb testing.TB) net.PacketConn {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(tb, err)
	return pc
}

// startServer runs serve on a loopback socket until the test ends and
// returns its address.
func startServer(tb testing.TB, serve func(context.Context, net.PacketConn) error) string {
	tb.Helper()
	pc := listen(tb)
	testutil.Serve(tb, func(ctx context.Context) error { return serve(ctx, pc) })
	return pc.LocalAddr().String()
}

func dialTB(tb testing.TB, dial func(context.Context, net.PacketConn, string, Shape, *Options) (*Client, error), addr string, shape Shape, opt *Options) *Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 5*time.Second)
	defer cancel()
	c, err := dial(ctx, listen(tb), addr, shape, opt)
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestEchoByteExact(t *testing.T) {
	addr := startServer(t, (&EchoServer{}).Serve)
	sizes := map[Shape][]int{
		OneStream:        {1, 16, 160, 1400, 4096, 65536, 1 << 20},
		StreamPerMessage: {1, 16, 160, 1400, 4096, 65536, 1 << 20},
		Datagrams:        {1, 16, 160, 1000},
	}
	for _, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			c := dialTB(t, DialEcho, addr, shape, nil)
			assert.Positive(t, c.Handshake(), "the handshake took some time")
			for _, size := range sizes[shape] {
				msg := make([]byte, size)
				rand.Read(msg)
				got := testutil.Echo(t, c, msg)
				assert.Len(t, got, size)
				assert.True(t, bytes.Equal(msg, got), "size %d: echo differs from what was sent", size)
			}
			st := c.Stats()
			assert.Positive(t, st.PacketsSent)
			assert.Positive(t, st.PacketsReceived)
			if shape == Datagrams {
				// quic-go records a packet just after it handles it, so
				// the last echo can be read before it is counted.
				n := uint64(len(sizes[shape]))
				assert.Eventually(t, func() bool {
					st := c.Stats()
					return st.DatagramsSent == n && st.DatagramsReceived == n
				}, 5*time.Second, time.Millisecond, "every datagram counted once each way")
			}
		})
	}
}

// TestEchoPaced sends without waiting for replies, as the paced echo
// workload does: replies on their own streams come whole, each once.
func TestEchoPaced(t *testing.T) {
	addr := startServer(t, (&EchoServer{}).Serve)
	for _, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			c := dialTB(t, DialEcho, addr, shape, nil)
			const n = 100
			go func() {
				msg := make([]byte, 160)
				for i := range n {
					wire.PutBulkDatagram(msg, uint64(i), wire.Now())
					if c.WriteMsg(msg) != nil {
						return
					}
				}
			}()
			seen := make(map[uint64]bool)
			in := make([]byte, 160)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
			for len(seen) < n {
				k, err := c.ReadMsg(in)
				if shape == Datagrams && err != nil {
					break // loopback may drop a datagram; checked below
				}
				require.NoError(t, err)
				h, ok := wire.CheckBulkDatagram(in[:k])
				require.True(t, ok, "an echo came back intact")
				assert.False(t, seen[h.Seq], "echo %d came once", h.Seq)
				seen[h.Seq] = true
			}
			if shape == Datagrams {
				assert.Greater(t, len(seen), n*9/10)
			}
		})
	}
}

func TestSinkReportsEveryMessage(t *testing.T) {
	var (
		mu   sync.Mutex
		seqs = make(map[int][]uint64) // by message size, one size per shape
	)
	sink := &Sink{OnMessage: func(m []byte, _ int64) {
		h, err := wire.ParseHeader(m)
		assert.NoError(t, err)
		mu.Lock()
		seqs[len(m)] = append(seqs[len(m)], h.Seq)
		mu.Unlock()
	}}
	addr := startServer(t, sink.Serve)
	const n = 200
	for i, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			size := 160 + i
			c := dialTB(t, DialMessages, addr, shape, nil)
			msg := make([]byte, size)
			for seq := range n {
				wire.PutHeader(msg, wire.Header{Seq: uint64(seq), Sent: wire.Now()})
				require.NoError(t, c.WriteMsg(msg))
			}
			got := func() []uint64 {
				mu.Lock()
				defer mu.Unlock()
				return slices.Clone(seqs[size])
			}
			if shape == Datagrams {
				// Nothing to wait for but the messages themselves. The
				// client's first burst can arrive before the sink has
				// accepted the connection, and quic-go holds only 128
				// datagrams for an application that is not reading yet:
				// what it drops it counts.
				delivered := func() int { return len(got()) + int(sink.Stats().DatagramsDropped) }
				assert.Eventually(t, func() bool { return delivered() >= n*95/100 }, 5*time.Second, 10*time.Millisecond)
				t.Logf("datagrams: %d reported, %d dropped by quic-go", len(got()), sink.Stats().DatagramsDropped)
				return
			}
			require.NoError(t, c.Finish(t.Context()))
			all := got()
			require.Len(t, all, n, "Finish returns only after the sink reported every message")
			if shape == OneStream {
				assert.True(t, slices.IsSorted(all), "one stream delivers in order")
			}
			slices.Sort(all)
			for k, s := range all {
				require.Equal(t, uint64(k), s, "each message exactly once")
			}
		})
	}
	sst := sink.Stats()
	assert.Positive(t, sst.PacketsReceived, "the server counts its connections too")
}

func TestSinkBulk(t *testing.T) {
	var (
		mu       sync.Mutex
		bulk     int64
		intact   = true
		dgrams   int64
		dgramsOK = true
	)
	sink := &Sink{
		OnBytes: func(chunk []byte, _ int64) {
			mu.Lock()
			intact = intact && wire.CheckPattern(bulk, chunk)
			bulk += int64(len(chunk))
			mu.Unlock()
		},
		OnMessage: func(m []byte, _ int64) {
			_, ok := wire.CheckBulkDatagram(m)
			mu.Lock()
			dgrams++
			dgramsOK = dgramsOK && ok
			mu.Unlock()
		},
	}
	addr := startServer(t, sink.Serve)

	c := dialTB(t, DialBulk, addr, OneStream, nil)
	sent, err := c.SendBulk(t.Context(), Bulk{Limit: 3<<20 + 17})
	require.NoError(t, err)
	require.NoError(t, c.Finish(t.Context()))
	mu.Lock()
	assert.Equal(t, int64(3<<20+17), sent)
	assert.Equal(t, sent, bulk)
	assert.True(t, intact, "every chunk matched the pattern at its offset")
	mu.Unlock()

	d := dialTB(t, DialBulk, addr, Datagrams, nil)
	sent, err = d.SendBulk(t.Context(), Bulk{Limit: 500})
	require.NoError(t, err)
	assert.Equal(t, int64(500), sent)
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return dgrams+int64(sink.Stats().DatagramsDropped) >= 475
	}, 5*time.Second, 10*time.Millisecond)
	mu.Lock()
	assert.True(t, dgramsOK, "every datagram intact")
	mu.Unlock()
	assert.Eventually(t, func() bool { return d.Stats().DatagramsSent == 500 }, 5*time.Second, 10*time.Millisecond,
		"the trace counts every datagram once it leaves")

	_, err = DialBulk(t.Context(), listen(t), addr, StreamPerMessage, nil)
	assert.Error(t, err, "a stream per message has no bulk form")
}

func TestDatagramSizeLimit(t *testing.T) {
	addr := startServer(t, (&EchoServer{}).Serve)
	c := dialTB(t, DialEcho, addr, Datagrams, nil)
	max := c.MaxDatagram()
	// quic-go starts with 1280-byte packets; discovery may grow them to
	// what a 1500-byte MTU holds, never past.
	assert.GreaterOrEqual(t, max, 1100)
	assert.LessOrEqual(t, max, 1500)
	require.NoError(t, c.WriteMsg(make([]byte, 160)), "a voice frame fits")
	require.NoError(t, c.WriteMsg(make([]byte, max)), "the largest that fits")

	err := c.WriteMsg(make([]byte, max+1))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), strconv.Itoa(max), "the error says what fits")
	assert.ErrorIs(t, c.WriteMsg(make([]byte, 65000)), ErrTooLarge)

	b := dialTB(t, DialBulk, addr, Datagrams, nil)
	_, err = b.SendBulk(t.Context(), Bulk{Limit: 1, Size: 4000})
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestHandshakeFailures(t *testing.T) {
	addr := startServer(t, (&EchoServer{}).Serve)
	other, err := NewIdentity()
	require.NoError(t, err)
	wrongALPN := DefaultIdentityTB(t).ClientTLS()
	wrongALPN.NextProtos = []string{"h3"}
	wrongPin, err := PinnedClientTLS(other.Fingerprint())
	require.NoError(t, err)
	rightPin, err := PinnedClientTLS(DefaultIdentityTB(t).Fingerprint())
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		opt  *Options
		want string // in the error; empty: the dial succeeds
	}{
		{"wrong ALPN", &Options{TLS: wrongALPN}, "no application protocol"},
		{"untrusted certificate", &Options{TLS: other.ClientTLS()}, "certificate"},
		{"wrong pin", &Options{TLS: wrongPin}, "pinned fingerprint"},
		{"right pin", &Options{TLS: rightPin}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A refusal must come at once, not after quic-go's 5 s
			// handshake timeout.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			c, err := DialEcho(ctx, listen(t), addr, OneStream, tc.opt)
			took := time.Since(start)
			if tc.want == "" {
				require.NoError(t, err)
				c.Close()
				return
			}
			require.Error(t, err)
			assert.Less(t, took, 2*time.Second, "a refused handshake fails fast")
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "handshake with "+addr)
			t.Logf("%s: %v after %v", tc.name, err, took.Round(time.Millisecond))
		})
	}
}

func DefaultIdentityTB(tb testing.TB) *Identity {
	tb.Helper()
	id, err := DefaultIdentity()
	require.NoError(tb, err)
	return id
}

func TestReadDeadline(t *testing.T) {
	addr := startServer(t, (&EchoServer{}).Serve)
	for _, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			c := dialTB(t, DialEcho, addr, shape, nil)
			buf := make([]byte, 16)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
			_, err := c.ReadMsg(buf)
			require.Error(t, err)
			assert.True(t, neterr.IsTimeout(err), "a passed deadline reads as a timeout: %v", err)

			// A deadline moved to now wakes a read already waiting, as
			// the harness does to stop a run.
			require.NoError(t, c.SetReadDeadline(time.Time{}))
			errc := make(chan error, 1)
			go func() { _, err := c.ReadMsg(buf); errc <- err }()
			time.Sleep(20 * time.Millisecond)
			require.NoError(t, c.SetReadDeadline(time.Now()))
			select {
			case err := <-errc:
				assert.True(t, neterr.IsTimeout(err), "%v", err)
			case <-time.After(2 * time.Second):
				t.Fatal("the waiting read did not wake")
			}

			// And the client still works after a timeout.
			require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
			msg := []byte("0123456789abcdef")
			require.NoError(t, c.WriteMsg(msg))
			n, err := c.ReadMsg(buf)
			require.NoError(t, err)
			assert.Equal(t, msg, buf[:n])
		})
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	pc := listen(t)
	srv := &EchoServer{}
	stop := testutil.Serve(t, func(ctx context.Context) error { return srv.Serve(ctx, pc) })
	// An open, idle connection must not keep the server alive.
	c := dialTB(t, DialEcho, pc.LocalAddr().String(), OneStream, nil)
	require.NoError(t, c.WriteMsg([]byte("x")))
	buf := make([]byte, 1)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := c.ReadMsg(buf)
	require.NoError(t, err)

	stop()
	_, err = c.ReadMsg(buf)
	assert.Error(t, err, "the server closed the connection")
	assert.NotContains(t, fmt.Sprint(err), "deadline", "closed, not timed out")
	assert.Positive(t, srv.Stats().PacketsSent, "an ended connection still counts")
}

// TestTraceCounts feeds the counter the events quic-go records, to pin
// what each counter means.
func TestTraceCounts(t *testing.T) {
	cs := newCounters()
	rec := cs.newConnTrace().AddProducer()
	stream := func(id int64, off, n int64) qlog.Frame {
		return qlog.Frame{Frame: &qlog.StreamFrame{StreamID: qlog.StreamID(id), Offset: off, Length: n}}
	}
	sent := func(fs ...qlog.Frame) qlog.PacketSent { return qlog.PacketSent{Frames: fs} }
	rec.RecordEvent(sent(stream(0, 0, 1000)))
	rec.RecordEvent(sent(stream(0, 1000, 1000), stream(4, 0, 10)))
	rec.RecordEvent(qlog.PacketLost{})
	rec.RecordEvent(qlog.PTOCountUpdated{PTOCount: 1})
	rec.RecordEvent(qlog.PTOCountUpdated{PTOCount: 2})
	rec.RecordEvent(qlog.PTOCountUpdated{PTOCount: 0})
	// The lost packet's data goes out again, partly beside new data.
	rec.RecordEvent(sent(stream(0, 1000, 1000), stream(4, 5, 10)))
	rec.RecordEvent(qlog.PacketLost{IsMTUProbePacket: true})
	// Datagrams: packet 10 carries two, 11 one, 12 one; 11 is
	// acknowledged, 10 and then 11 (too late: it was acknowledged)
	// declared lost.
	dgram := qlog.Frame{Frame: &qlog.DatagramFrame{Length: 100}}
	oneRTT := func(pn int64) qlog.PacketHeader {
		return qlog.PacketHeader{PacketType: qlog.PacketType1RTT, PacketNumber: qlog.PacketNumber(pn)}
	}
	rec.RecordEvent(qlog.PacketSent{Header: oneRTT(10), Frames: []qlog.Frame{dgram, dgram}})
	rec.RecordEvent(qlog.PacketSent{Header: oneRTT(11), Frames: []qlog.Frame{dgram}})
	rec.RecordEvent(qlog.PacketSent{Header: oneRTT(12), Frames: []qlog.Frame{dgram}})
	ack := &qlog.AckFrame{AckRanges: []qlog.AckRange{{Smallest: 11, Largest: 11}}}
	rec.RecordEvent(qlog.PacketReceived{Header: oneRTT(5), Frames: []qlog.Frame{dgram, {Frame: ack}}})
	rec.RecordEvent(qlog.PacketLost{Header: oneRTT(10)})
	rec.RecordEvent(qlog.PacketLost{Header: oneRTT(11)})
	rec.RecordEvent(qlog.SpuriousLoss{})
	rec.RecordEvent(qlog.DatagramDropped{})

	want := Stats{
		Traced: true, MTUProbesLost: 1, PTOs: 2, RetransmittedPackets: 1, RetransmittedBytes: 1000 + 5,
		DatagramsSent: 4, DatagramsReceived: 1, DatagramsLost: 2, DatagramsDropped: 1, SpuriousLosses: 1,
	}
	assert.Equal(t, want, cs.stats())
	require.NoError(t, rec.Close())
	assert.Equal(t, want, cs.stats(), "an ended connection keeps its counts")
	assert.Empty(t, cs.traces, "and is no longer held")
	assert.Len(t, rec.(*connTrace).dgrams, 1, "only packet 12 is still unsettled")
	assert.Equal(t, uint64(1005), want.Map()["retransmitted_bytes"])
	assert.NotContains(t, Stats{}.Map(), "retransmitted_bytes", "untraced counters are left out, not zero")
}

func TestUntracedStillCounts(t *testing.T) {
	untraced := Config{NoTrace: true}
	srv := &EchoServer{Config: untraced}
	addr := startServer(t, srv.Serve)
	c := dialTB(t, DialEcho, addr, Datagrams, &Options{Config: untraced})
	require.NoError(t, c.WriteMsg(make([]byte, 160)))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := c.ReadMsg(make([]byte, 160))
	require.NoError(t, err)
	st := c.Stats()
	assert.False(t, st.Traced)
	assert.Positive(t, st.PacketsSent, "quic-go's own counters need no trace")
	assert.Positive(t, st.BytesReceived)
	assert.Zero(t, st.DatagramsSent)
	assert.NotContains(t, st.Map(), "datagrams_sent")
	require.NoError(t, c.Close())
	assert.GreaterOrEqual(t, c.Stats().PacketsSent, st.PacketsSent, "a closed client keeps its counts")
}

func TestPinnedClientTLSRejectsBadFingerprints(t *testing.T) {
	for _, fp := range []string{"", "zz", "abcd"} {
		_, err := PinnedClientTLS(fp)
		assert.Error(t, err, "%q", fp)
	}
	id := DefaultIdentityTB(t)
	_, err := PinnedClientTLS(id.Fingerprint())
	assert.NoError(t, err)
}

// Every counter of Stats is in counterFields once, under its own field,
// so Map records it and add sums it.
func TestCounterFieldsCoverStats(t *testing.T) {
	var s Stats
	v := reflect.ValueOf(&s).Elem()
	seen := map[string]bool{}
	for _, f := range counterFields {
		p := f.of(&s)
		*p = 1
		for i := range v.NumField() {
			if v.Field(i).Kind() == reflect.Uint64 && v.Field(i).Uint() == 1 {
				assert.False(t, seen[v.Type().Field(i).Name], "%s is in counterFields twice", f.name)
				seen[v.Type().Field(i).Name] = true
			}
		}
		*p = 0
	}
	for i := range v.NumField() {
		if v.Field(i).Kind() == reflect.Uint64 {
			assert.True(t, seen[v.Type().Field(i).Name], "%s is not in counterFields", v.Type().Field(i).Name)
		}
	}
	s.add(Stats{PacketsSent: 2, DatagramsDropped: 3, Traced: true})
	s.add(Stats{PacketsSent: 1})
	assert.Equal(t, Stats{PacketsSent: 3, DatagramsDropped: 3, Traced: true}, s)
	assert.Len(t, s.Map(), len(counterFields), "traced: every counter")
}
