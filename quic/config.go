package quic

import (
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// Config tunes quic-go for both ends. The zero value is what netmatrix
// measures with: tuned for throughput, with limits no workload reaches. A
// server that strangers reach wants fewer streams and smaller windows:
// they bound what one connection can make it hold (see Sink), as
// `compare serve` sets them.
type Config struct {
	// StreamWindow is the largest flow-control window of one stream, in
	// bytes. quic-go starts at 512 KiB and grows the window as the reader
	// keeps up. Zero means 16 MiB, room for a gigabit path with 100 ms of
	// round trip (quic-go's own default, 6 MiB, caps such a stream at
	// about 500 Mbit/s).
	StreamWindow uint64
	// ConnWindow is the largest flow-control window of the connection,
	// all streams together. Zero means 1.5 times StreamWindow, as
	// quic-go scales its own defaults.
	ConnWindow uint64
	// MaxStreams is how many streams of each kind a peer may have open at
	// once. Zero means 10000: a stream per message must never wait for
	// stream credit, or the wait would be counted as head-of-line delay
	// that the shape does not have.
	MaxStreams int64
	// HandshakeTimeout bounds a handshake that gets no answer at all. Zero
	// means 5 s, quic-go's default. A refused handshake (wrong ALPN, a
	// certificate the client rejects) fails at once, whatever this is.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that has heard nothing for this
	// long. Zero means 30 s, quic-go's default.
	IdleTimeout time.Duration
	// MaxConnsPerSource, for servers, is how many connections one source
	// address may have open at once; more are refused at the handshake.
	// With MaxStreams and the windows it bounds what one address can make
	// a server hold. Zero means DefaultMaxConnsPerSource (16).
	MaxConnsPerSource int
	// NoTrace turns off the counters that come from quic-go's qlog events
	// (see Stats). They cost a few allocations per packet, about a fifth
	// of quic-go's throughput on loopback, so bulk transfers go without;
	// on a paced flow they cost nothing that shows.
	NoTrace bool
}

// Defaults of the zero Config.
const (
	DefaultStreamWindow      = 16 << 20
	DefaultMaxStreams        = 10000
	DefaultMaxConnsPerSource = 16
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.StreamWindow == 0 {
		c.StreamWindow = DefaultStreamWindow
	}
	if c.ConnWindow == 0 {
		c.ConnWindow = c.StreamWindow * 3 / 2
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxConnsPerSource == 0 {
		c.MaxConnsPerSource = DefaultMaxConnsPerSource
	}
	return c
}

// quicConfig is the quic-go configuration both ends use. 0-RTT stays off
// on both sides (the server does not allow it and clients never dial
// early): every measured connection pays its full handshake, as a first
// visit does.
//
// onFrame, if set, is told of every STREAM frame received (see
// Sink.OnStreamFrame); it needs the trace, so it turns tracing on
// whatever NoTrace says.
func (c Config) quicConfig(cnt *counters, onFrame func(StreamFrame)) *quicgo.Config {
	c = c.withDefaults()
	qc := &quicgo.Config{
		HandshakeIdleTimeout:       c.HandshakeTimeout,
		MaxIdleTimeout:             c.IdleTimeout,
		MaxStreamReceiveWindow:     c.StreamWindow,
		MaxConnectionReceiveWindow: c.ConnWindow,
		MaxIncomingStreams:         c.MaxStreams,
		MaxIncomingUniStreams:      c.MaxStreams,
		EnableDatagrams:            true,
	}
	if !c.NoTrace || onFrame != nil {
		qc.Tracer = cnt.tracer(onFrame)
	}
	return qc
}
