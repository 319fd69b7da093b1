package quic

import (
	"context"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"

	"netmatrix/internal/wire"
)

// StreamFrame is one STREAM frame a connection received (RFC 9000,
// section 19.8): a byte range of one stream, as quic-go had it. A
// retransmission is reported again, and a frame that only ends the
// stream has Length 0 and Fin set.
type StreamFrame struct {
	StreamID int64
	Offset   int64 // stream offset of the frame's first byte
	Length   int64
	Fin      bool
	// Arrived is when quic-go had handled the packet carrying the frame,
	// its data in the stream's receive buffer, on the wire.Now clock.
	Arrived int64
}

// tracer returns quic-go's Config.Tracer for cs: a trace per connection
// that counts into cs and, if onFrame is set, reports every STREAM frame
// received.
func (cs *counters) tracer(onFrame func(StreamFrame)) func(context.Context, bool, quicgo.ConnectionID) qlogwriter.Trace {
	return func(context.Context, bool, quicgo.ConnectionID) qlogwriter.Trace {
		t := cs.newConnTrace()
		t.onStreamFrame = onFrame
		return t
	}
}

// reportStreamFrames hands the STREAM frames of a received packet to the
// trace's hook, stamped once for the packet. quic-go records the packet
// after handling its frames, so the data is in the streams by then.
func (t *connTrace) reportStreamFrames(frames []qlog.Frame) {
	var now int64
	for _, f := range frames {
		sf, ok := f.Frame.(*qlog.StreamFrame)
		if !ok {
			continue
		}
		if now == 0 {
			now = wire.Now()
		}
		t.onStreamFrame(StreamFrame{
			StreamID: int64(sf.StreamID),
			Offset:   sf.Offset,
			Length:   sf.Length,
			Fin:      sf.Fin,
			Arrived:  now,
		})
	}
}
