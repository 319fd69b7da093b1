package quic

import (
	"slices"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/wire"
)

// A received packet's STREAM frames reach the hook, stamped with one
// time; its other frames, and sent packets, do not.
func TestTraceReportsReceivedStreamFrames(t *testing.T) {
	var got []StreamFrame
	trace := newCounters().tracer(func(f StreamFrame) { got = append(got, f) })(t.Context(), false, quicgo.ConnectionID{})
	rec := trace.AddProducer()
	stream := func(id, off, n int64, fin bool) qlog.Frame {
		return qlog.Frame{Frame: &qlog.StreamFrame{StreamID: qlog.StreamID(id), Offset: off, Length: n, Fin: fin}}
	}
	before := wire.Now()
	rec.RecordEvent(qlog.PacketReceived{Frames: []qlog.Frame{
		stream(0, 0, 1200, false),
		{Frame: &qlog.AckFrame{}},
		stream(4, 10, 0, true),
	}})
	rec.RecordEvent(qlog.PacketSent{Frames: []qlog.Frame{stream(8, 0, 100, false)}})
	rec.RecordEvent(qlog.PacketReceived{Frames: []qlog.Frame{{Frame: &qlog.DatagramFrame{Length: 10}}}})
	after := wire.Now()
	require.NoError(t, rec.Close())

	require.Len(t, got, 2)
	assert.Equal(t, got[0].Arrived, got[1].Arrived, "one stamp per packet")
	assert.GreaterOrEqual(t, got[0].Arrived, before)
	assert.LessOrEqual(t, got[0].Arrived, after)
	at := got[0].Arrived
	assert.Equal(t, []StreamFrame{
		{StreamID: 0, Offset: 0, Length: 1200, Arrived: at},
		{StreamID: 4, Offset: 10, Length: 0, Fin: true, Arrived: at},
	}, got)
}

// Off by default: no hook, no trace with NoTrace; a hook brings the
// trace back.
func TestStreamFrameHookTurnsTracingOn(t *testing.T) {
	cnt := newCounters()
	assert.Nil(t, Config{NoTrace: true}.quicConfig(cnt, nil).Tracer)
	assert.NotNil(t, Config{}.quicConfig(cnt, nil).Tracer)
	assert.NotNil(t, Config{NoTrace: true}.quicConfig(cnt, func(StreamFrame) {}).Tracer)
}

// Over a real connection, the frames of the message stream cover its
// bytes exactly (the flow byte, then every length-prefixed message), and
// each message's bytes were all there no later than the sink read it.
func TestSinkReportsStreamFrames(t *testing.T) {
	for _, cfg := range []Config{{}, {NoTrace: true}} {
		t.Run(map[bool]string{false: "traced", true: "untraced"}[cfg.NoTrace], func(t *testing.T) {
			var (
				mu     sync.Mutex
				frames []StreamFrame
				read   []int64 // when the sink read each message
			)
			sink := &Sink{
				Config:        cfg,
				OnStreamFrame: func(f StreamFrame) { mu.Lock(); frames = append(frames, f); mu.Unlock() },
				OnMessage:     func(_ []byte, at int64) { mu.Lock(); read = append(read, at); mu.Unlock() },
			}
			addr := startServer(t, sink.Serve)
			const n, size = 300, 160
			c := dialTB(t, DialMessages, addr, OneStream, &Options{Config: cfg})
			msg := make([]byte, size)
			for seq := range n {
				wire.PutHeader(msg, wire.Header{Seq: uint64(seq), Sent: wire.Now()})
				require.NoError(t, c.WriteMsg(msg))
			}
			require.NoError(t, c.Finish(t.Context()))
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, read, n)

			const frame = wire.FramePrefixLen + size
			end := int64(1 + n*frame)
			// first[b] is when byte b first arrived.
			first := make([]int64, end)
			var fin bool
			for _, f := range frames {
				require.Zero(t, f.StreamID, "the one stream is the client's first")
				require.LessOrEqual(t, f.Offset+f.Length, end)
				for b := f.Offset; b < f.Offset+f.Length; b++ {
					if first[b] == 0 || f.Arrived < first[b] {
						first[b] = f.Arrived
					}
				}
				fin = fin || (f.Fin && f.Offset+f.Length == end)
			}
			assert.True(t, fin, "the stream's end is reported")
			assert.NotContains(t, first, int64(0), "every byte of the stream was reported")
			for k := range n {
				msgEnd := 1 + int64(k+1)*frame
				own := slices.Max(first[msgEnd-frame : msgEnd])
				// quic-go traces a packet once it has handled its frames, and
				// the application may read them in between: the report
				// comes a little after the bytes were there (a busy machine
				// stretches it). Head-of-line delay compares frame times
				// with frame times, so that lag cancels.
				assert.LessOrEqual(t, own, read[k]+int64(10*time.Millisecond), "message %d was all there before it was read", k)
				assert.Less(t, read[k]-own, int64(time.Second))
			}
		})
	}
}
