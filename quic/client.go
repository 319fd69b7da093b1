package quic

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"netmatrix/internal/neterr"
	"netmatrix/internal/wire"
)

// Shape is how a client's messages travel on its connection.
type Shape int

const (
	// OneStream carries every message on one stream, length-prefixed to
	// a Sink: TCP's shape, with its head-of-line blocking.
	OneStream Shape = iota
	// StreamPerMessage opens a stream for each message: a lost packet
	// holds up only its own message.
	StreamPerMessage
	// Datagrams sends each message as an RFC 9221 DATAGRAM frame: UDP's
	// shape, with QUIC's congestion control and encryption, and never
	// retransmitted.
	Datagrams
)

func (s Shape) String() string {
	switch s {
	case OneStream:
		return "one stream"
	case StreamPerMessage:
		return "stream per message"
	case Datagrams:
		return "datagrams"
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// ErrTooLarge reports a message that does not fit: a datagram larger than
// one packet can carry, or a message over wire.MaxFrame.
var ErrTooLarge = errors.New("quic: message too large")

// Options are a client's settings. A nil *Options is the zero value.
type Options struct {
	// TLS is the client's TLS configuration. Nil means one that trusts
	// DefaultIdentity alone: right for a server in the same process. For
	// a server in another, use PinnedClientTLS. A netmatrix server
	// accepts only clients whose NextProtos name ALPN.
	TLS *tls.Config
	// Config tunes quic-go; the zero value is netmatrix's default.
	Config Config
}

// role is what a client connected to: an echo server, or a sink for
// messages or for a bulk transfer.
type role int

const (
	roleEcho role = iota
	roleMessages
	roleBulk
	// roleReceive receives what a Source sends (DialSource).
	roleReceive
)

// Client is one QUIC connection to an EchoServer or a Sink, in one shape.
type Client struct {
	shape     Shape
	role      role
	tr        *quicgo.Transport
	pc        net.PacketConn
	conn      *quicgo.Conn
	cnt       *counters
	handshake time.Duration

	stream  *quicgo.Stream // OneStream
	scratch []byte         // framing buffer of OneStream messages
	opened  int64          // streams opened by StreamPerMessage to a sink
	inbox   *inbox         // echoes that come whole: own stream, datagram
	readers sync.WaitGroup // goroutines feeding inbox
	closer  sync.Once

	// writeDeadline bounds each StreamPerMessage write, stream credit
	// included (SetWriteDeadline); atomic, as it is set from another
	// goroutine to cut a write short.
	writeDeadline atomic.Pointer[time.Time]
}

// inboxLimit is how many whole echoes may wait for ReadMsg; past it they
// are dropped, as a socket with a full receive buffer drops.
const inboxLimit = 4096

// DialEcho connects to an EchoServer at addr over pc, an unconnected UDP
// socket the client owns from then on: Close closes it, and so does a
// failed dial. Messages go out as they are: raw bytes on one stream, each
// on its own stream, or as datagrams. The handshake ends within ctx, or
// at once with a clear error when the server refuses it.
func DialEcho(ctx context.Context, pc net.PacketConn, addr string, shape Shape, opt *Options) (*Client, error) {
	return dial(ctx, pc, addr, shape, roleEcho, opt, nil)
}

// DialMessages connects to a Sink at addr over pc (see DialEcho) for a
// flow of messages.
func DialMessages(ctx context.Context, pc net.PacketConn, addr string, shape Shape, opt *Options) (*Client, error) {
	return dial(ctx, pc, addr, shape, roleMessages, opt, nil)
}

// DialBulk connects to a Sink at addr over pc (see DialEcho) for a bulk
// transfer: a byte stream (OneStream) or numbered datagrams (Datagrams).
// A stream per message has no bulk form.
func DialBulk(ctx context.Context, pc net.PacketConn, addr string, shape Shape, opt *Options) (*Client, error) {
	if shape == StreamPerMessage {
		pc.Close()
		return nil, errors.New("quic: a bulk transfer is one stream or datagrams, not a stream per message")
	}
	return dial(ctx, pc, addr, shape, roleBulk, opt, nil)
}

// dial runs the handshake over pc, which the client owns from then on
// (Close closes it, and so does a failed dial), and opens what the shape
// and role need. onFrame, if set, hears of every STREAM frame received.
func dial(ctx context.Context, pc net.PacketConn, addr string, shape Shape, r role, opt *Options, onFrame func(StreamFrame)) (*Client, error) {
	if opt == nil {
		opt = &Options{}
	}
	fail := func(err error) (*Client, error) {
		pc.Close()
		return nil, err
	}
	if shape < OneStream || shape > Datagrams {
		return fail(fmt.Errorf("quic: unknown shape %d", int(shape)))
	}
	tlsConf := opt.TLS
	if tlsConf == nil {
		id, err := DefaultIdentity()
		if err != nil {
			return fail(err)
		}
		tlsConf = id.ClientTLS()
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fail(fmt.Errorf("quic: dial %s: %w", addr, err))
	}
	c := &Client{shape: shape, role: r, pc: pc, cnt: newCounters(), inbox: newInbox(inboxLimit)}
	c.tr = &quicgo.Transport{Conn: pc}
	start := time.Now()
	// Dial, not DialEarly: no 0-RTT, the handshake completes first.
	c.conn, err = c.tr.Dial(ctx, raddr, tlsConf, opt.Config.quicConfig(c.cnt, onFrame))
	if err != nil {
		c.tr.Close()
		return fail(handshakeError(addr, tlsConf, err))
	}
	c.handshake = time.Since(start)
	c.cnt.open(c.conn)
	if err := c.open(); err != nil {
		c.Close()
		return nil, fmt.Errorf("quic: %s to %s: %w", shape, addr, err)
	}
	return c, nil
}

// open sets up what the shape needs after the handshake.
func (c *Client) open() error {
	switch c.shape {
	case OneStream:
		if c.role == roleReceive {
			return nil // the Source opens the stream
		}
		st, err := c.conn.OpenStream()
		if err != nil {
			return err
		}
		c.stream = st
		switch c.role {
		case roleMessages:
			_, err = st.Write([]byte{flowMessages})
		case roleBulk:
			_, err = st.Write([]byte{flowBulk})
		}
		return err
	case Datagrams:
		if !c.conn.ConnectionState().SupportsDatagrams.Remote {
			return errors.New("the server does not accept datagrams (RFC 9221)")
		}
		if c.role == roleEcho {
			c.readers.Go(func() {
				for {
					d, err := c.conn.ReceiveDatagram(c.conn.Context())
					if err != nil {
						c.inbox.close(fmt.Errorf("quic: read: %w", err))
						return
					}
					c.inbox.put(d)
				}
			})
		}
	}
	return nil
}

// Handshake is how long the QUIC handshake took: from the first Initial
// packet to a confirmed connection, apart from anything sent after.
func (c *Client) Handshake() time.Duration { return c.handshake }

// Stats is what quic-go did on this connection so far.
func (c *Client) Stats() Stats { return c.cnt.stats() }

// Settle waits until every datagram sent so far has been acknowledged or
// declared lost, so that Stats accounts for each: the loss of the last
// packets of a flow is found only after a probe timeout or two. It
// returns ctx's error if that comes first. Untraced, it knows nothing
// and returns at once.
func (c *Client) Settle(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for c.cnt.unsettled() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.conn.Context().Done():
			return nil
		case <-t.C:
		}
	}
	return nil
}

// LocalAddr is the client's own address.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// WriteMsg sends one message in the client's shape: as is on the stream
// to an echo server, length-prefixed on the stream to a sink, on a stream
// of its own, or as one datagram.
func (c *Client) WriteMsg(p []byte) error {
	switch c.shape {
	case OneStream:
		if c.role == roleEcho {
			_, err := c.stream.Write(p)
			return err
		}
		var err error
		c.scratch, err = wire.WriteFrame(c.stream, c.scratch, p)
		return err
	case StreamPerMessage:
		return c.writeStream(p)
	default:
		return c.sendDatagram(p)
	}
}

// writeStream sends p on a new stream and closes it. To an echo server the
// stream is bidirectional and a goroutine waits for its reply; to a sink
// it is unidirectional.
func (c *Client) writeStream(p []byte) error {
	if len(p) > wire.MaxFrame {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(p), wire.MaxFrame)
	}
	// Sync: wait for stream credit rather than fail; with the default
	// MaxStreams no workload waits. The write deadline bounds the wait.
	ctx := c.conn.Context()
	deadline := c.writeDeadline.Load()
	if deadline != nil && !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, *deadline)
		defer cancel()
	}
	if c.role != roleEcho {
		st, err := c.conn.OpenUniStreamSync(ctx)
		if err != nil {
			return err
		}
		c.opened++
		if deadline != nil {
			st.SetWriteDeadline(*deadline)
		}
		if _, err := st.Write(p); err != nil {
			return err
		}
		return st.Close()
	}
	st, err := c.conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	// Read the echo while still writing: a message larger than the
	// flow-control windows comes back before it has all gone out.
	size := len(p)
	c.readers.Go(func() {
		// The echo is never longer than the message.
		reply, err := readAll(st, size)
		if err != nil {
			c.inbox.close(fmt.Errorf("quic: echo on stream %d: %w", st.StreamID(), err))
			return
		}
		c.inbox.put(reply)
	})
	if deadline != nil {
		st.SetWriteDeadline(*deadline)
	}
	if _, err := st.Write(p); err != nil {
		return err
	}
	return st.Close()
}

// probe is larger than any datagram: SendDatagram refuses it before
// copying, and says how large one may be.
var probe = make([]byte, 1<<16)

// MaxDatagram is the largest message a datagram can carry on this
// connection now. It grows when path MTU discovery finds larger packets
// pass.
func (c *Client) MaxDatagram() int {
	var tl *quicgo.DatagramTooLargeError
	if err := c.conn.SendDatagram(probe); errors.As(err, &tl) {
		return int(tl.MaxDatagramPayloadSize)
	}
	return 0
}

func (c *Client) sendDatagram(p []byte) error {
	err := c.conn.SendDatagram(p)
	if tl := (*quicgo.DatagramTooLargeError)(nil); errors.As(err, &tl) {
		return fmt.Errorf("%w: a %d-byte message does not fit in a datagram; at most %d bytes fit in one packet on this connection",
			ErrTooLarge, len(p), tl.MaxDatagramPayloadSize)
	}
	return err
}

// ReadMsg reads one echo into p. On one stream it reads exactly len(p)
// bytes, as on TCP; otherwise it reads the next whole echo to arrive,
// in the order they complete.
func (c *Client) ReadMsg(p []byte) (int, error) {
	if c.role != roleEcho {
		return 0, errors.New("quic: a sink sends no messages back")
	}
	if c.shape == OneStream {
		return io.ReadFull(c.stream, p)
	}
	return c.inbox.read(p)
}

// SetReadDeadline bounds the next ReadMsg, and one already waiting.
func (c *Client) SetReadDeadline(t time.Time) error {
	if c.shape == OneStream {
		return c.stream.SetReadDeadline(t)
	}
	c.inbox.setDeadline(t)
	return nil
}

// SetWriteDeadline bounds the next WriteMsg: a stream's write that waits
// for flow-control credit, and the wait for a new stream. Datagrams never
// wait: quic-go queues or drops them.
func (c *Client) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(&t)
	if c.shape == OneStream {
		return c.stream.SetWriteDeadline(t)
	}
	return nil
}

// Bulk describes a bulk transfer.
type Bulk struct {
	// Deadline ends the transfer; zero means only Limit does.
	Deadline time.Time
	// Limit ends the transfer after this many bytes (one stream) or
	// datagrams; zero means only Deadline does.
	Limit int64
	// Size is each datagram's payload, header included. Zero means the
	// largest that fits in a packet (see MaxDatagram).
	Size int
}

// SendBulk sends as fast as QUIC's flow and congestion control allow,
// until the deadline, the limit or ctx ends it. On one stream it writes
// the fill pattern (see tcp.CheckBulk) and returns the bytes sent; as
// datagrams it sends numbered, checkable datagrams (see udp.CheckBulk)
// and returns how many. Reaching the deadline or the limit is not an
// error.
func (c *Client) SendBulk(ctx context.Context, b Bulk) (int64, error) {
	if b.Deadline.IsZero() && b.Limit == 0 {
		return 0, errors.New("quic: bulk needs a deadline or a limit")
	}
	if c.role != roleBulk {
		return 0, errors.New("quic: bulk needs a client from DialBulk")
	}
	if c.shape == Datagrams {
		return c.bulkDatagrams(ctx, b)
	}
	return c.bulkStream(ctx, b)
}

func (c *Client) bulkStream(ctx context.Context, b Bulk) (int64, error) {
	const chunk = 128 << 10
	stop := context.AfterFunc(ctx, func() { c.stream.SetWriteDeadline(time.Now()) })
	defer stop()
	c.stream.SetWriteDeadline(b.Deadline)
	defer c.stream.SetWriteDeadline(time.Time{})
	var sent int64
	for b.Limit == 0 || sent < b.Limit {
		n := chunk
		if b.Limit > 0 {
			n = int(min(int64(n), b.Limit-sent))
		}
		w, err := c.stream.Write(wire.Pattern(sent, n))
		sent += int64(w)
		if err != nil {
			return sent, neterr.UntilDeadline(ctx, err, "quic: bulk send")
		}
	}
	return sent, nil
}

// bulkDatagrams sends datagrams as fast as quic-go takes them: its send
// queue holds 32 and drains at the congestion controller's pace, so this
// is as fast as the path allows, not as fast as the CPU can fill a socket
// (UDP's bulk).
func (c *Client) bulkDatagrams(ctx context.Context, b Bulk) (int64, error) {
	size := b.Size
	if limit := c.MaxDatagram(); size == 0 || size > limit {
		if size != 0 {
			return 0, fmt.Errorf("%w: %d-byte datagrams, at most %d fit in one packet on this connection", ErrTooLarge, size, limit)
		}
		size = limit
	}
	if size < wire.HeaderLen {
		return 0, fmt.Errorf("quic: bulk datagram size %d is below the %d-byte header", size, wire.HeaderLen)
	}
	buf := make([]byte, size)
	var sent int64
	for b.Limit == 0 || sent < b.Limit {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		if !b.Deadline.IsZero() && !time.Now().Before(b.Deadline) {
			break
		}
		wire.PutBulkDatagram(buf, uint64(sent), wire.Now())
		if err := c.sendDatagram(buf); err != nil {
			return sent, fmt.Errorf("quic: bulk send: %w", err)
		}
		sent++
	}
	return sent, nil
}

// Finish ends a flow and closes the client. On one stream it closes the
// stream and waits for the sink to close its side, which it does only
// after reporting every byte. With a stream per message it asks the sink,
// on one more stream, to answer once it has reported as many messages as
// were sent. Datagrams promise nothing, so Finish just closes.
func (c *Client) Finish(ctx context.Context) error {
	defer c.Close()
	var st *quicgo.Stream
	switch {
	case c.shape == OneStream:
		st = c.stream
	case c.shape == StreamPerMessage && c.role == roleMessages:
		var err error
		if st, err = c.conn.OpenStreamSync(ctx); err != nil {
			return fmt.Errorf("quic: finish: %w", err)
		}
		var req [9]byte
		req[0] = flowFinish
		binary.BigEndian.PutUint64(req[1:], uint64(c.opened))
		if _, err := st.Write(req[:]); err != nil {
			return fmt.Errorf("quic: finish: %w", err)
		}
	default:
		return nil
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("quic: finish: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { st.SetReadDeadline(time.Now()) })
	defer stop()
	if _, err := io.Copy(io.Discard, st); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("quic: finish: %w", err)
	}
	return nil
}

// Close closes the connection (telling the server, with a
// CONNECTION_CLOSE), then the socket. It is safe to call more than once.
func (c *Client) Close() error {
	c.closer.Do(func() {
		c.conn.CloseWithError(codeOK, "")
		c.cnt.close(c.conn)
		// A Source's client has neither: they are its server's.
		if c.tr != nil {
			c.tr.Close()
			c.pc.Close()
		}
		c.inbox.close(net.ErrClosed)
		c.readers.Wait()
	})
	return nil
}

// TLS alerts a refused handshake carries (RFC 8446, section 6): QUIC sends
// alert a as the CRYPTO_ERROR 0x100+a (RFC 9001, section 4.8).
const (
	alertBadCertificate        = 42
	alertUnknownCA             = 48
	alertNoApplicationProtocol = 120
)

// handshakeError says in words why a handshake failed, where quic-go's
// error names only a TLS alert.
func handshakeError(addr string, tlsConf *tls.Config, err error) error {
	var te *quicgo.TransportError
	if errors.As(err, &te) && te.ErrorCode.IsCryptoError() {
		switch te.ErrorCode - 0x100 {
		case alertNoApplicationProtocol:
			return fmt.Errorf("quic: handshake with %s: the server speaks none of the application protocols (ALPN) %s: %w",
				addr, strings.Join(tlsConf.NextProtos, ", "), err)
		case alertBadCertificate, alertUnknownCA:
			who := "the server's certificate was refused"
			if te.Remote {
				who = "the server refused the client's certificate"
			}
			return fmt.Errorf("quic: handshake with %s: %s: %w", addr, who, err)
		}
	}
	var to *quicgo.HandshakeTimeoutError
	if errors.As(err, &to) {
		return fmt.Errorf("quic: handshake with %s: no answer; is a QUIC server there? %w", addr, err)
	}
	return fmt.Errorf("quic: handshake with %s: %w", addr, err)
}
