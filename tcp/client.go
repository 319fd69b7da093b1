package tcp

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"netmatrix/internal/busypoll"
	"netmatrix/internal/neterr"
	"netmatrix/internal/wire"
)

// DialFunc opens a connection; (*net.Dialer).DialContext and a
// harness.Network's Dial both fit, so a client runs over any path.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options are the client's socket settings. The zero value is what the
// workloads use.
type Options struct {
	// Nagle turns Nagle's algorithm back on. By default it is off, so each
	// message leaves at once.
	Nagle bool
	// BusyPoll is how long ReadMsg on a host socket keeps trying, yielding
	// the CPU between tries, before it sleeps until the reply comes. Zero
	// means 50 µs; a negative value sleeps at once.
	BusyPoll time.Duration
}

// Client is one connection to an echo server or a Sink.
type Client struct {
	conn    net.Conn
	r       io.Reader // conn, or a busy-polling reader of it
	framed  bool
	scratch []byte
}

func dial(ctx context.Context, dialer DialFunc, addr string, opt Options, kind byte) (*Client, error) {
	c, err := dialer(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", addr, err)
	}
	return newClient(c, opt, kind)
}

// newClient is a Client on c, an open connection, that starts a flow of
// kind (none, to an echo server). It closes c if it cannot.
func newClient(c net.Conn, opt Options, kind byte) (*Client, error) {
	setNagle(c, opt.Nagle)
	cl := &Client{conn: c, r: newReader(c, busypoll.Budget(opt.BusyPoll)), framed: kind == flowMessages}
	if kind != 0 {
		if _, err := c.Write([]byte{kind}); err != nil {
			c.Close()
			return nil, fmt.Errorf("tcp: start flow to %s: %w", c.RemoteAddr(), err)
		}
	}
	return cl, nil
}

// DialEcho connects to an RFC 862 echo server at addr. Messages go out as
// they are, with no framing, so any echo server will do.
func DialEcho(ctx context.Context, dialer DialFunc, addr string, opt Options) (*Client, error) {
	return dial(ctx, dialer, addr, opt, 0)
}

// DialMessages connects to a Sink at addr for a flow of length-prefixed
// messages.
func DialMessages(ctx context.Context, dialer DialFunc, addr string, opt Options) (*Client, error) {
	return dial(ctx, dialer, addr, opt, flowMessages)
}

// DialBulk connects to a Sink at addr for a bulk byte stream.
func DialBulk(ctx context.Context, dialer DialFunc, addr string, opt Options) (*Client, error) {
	return dial(ctx, dialer, addr, opt, flowBulk)
}

// WriteMsg sends one message: as is to an echo server, length-prefixed to
// a Sink.
func (c *Client) WriteMsg(p []byte) error {
	if !c.framed {
		_, err := c.conn.Write(p)
		return err
	}
	var err error
	c.scratch, err = wire.WriteFrame(c.conn, c.scratch, p)
	return err
}

// ReadMsg reads the echo of a message of len(p) bytes into p. TCP keeps
// no message boundaries, so the caller says how long the message is.
func (c *Client) ReadMsg(p []byte) (int, error) {
	return io.ReadFull(c.r, p)
}

// SetReadDeadline bounds the next ReadMsg.
func (c *Client) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline bounds the next WriteMsg, and one already waiting for
// a peer that does not read.
func (c *Client) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// SendBulk writes the fill pattern (see CheckBulk) as fast as the path
// takes it, until ctx is done, the deadline passes or limit bytes are
// sent (0: no limit). It returns the bytes sent; reaching the deadline or
// the limit is not an error.
func (c *Client) SendBulk(ctx context.Context, deadline time.Time, limit int64) (int64, error) {
	if deadline.IsZero() {
		deadline = time.Now().Add(24 * time.Hour)
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetWriteDeadline(time.Now()) })
	defer stop()
	c.conn.SetWriteDeadline(deadline)
	defer c.conn.SetWriteDeadline(time.Time{})

	// The pattern is shared and read-only, and a window of it is at most
	// PatternLen long, so a large write is a gather of windows (writev):
	// no copy in user space, one system call per bulkWrite bytes.
	var (
		sent  int64
		parts [bulkWrite/wire.PatternLen + 2][]byte
	)
	for limit == 0 || sent < limit {
		n := int64(bulkWrite)
		if limit > 0 {
			n = min(n, limit-sent)
		}
		bufs := net.Buffers(parts[:0])
		for off := sent; off < sent+n; {
			k := int(min(n-(off-sent), wire.PatternLen))
			bufs = append(bufs, wire.Pattern(off, k))
			off += int64(k)
		}
		w, err := bufs.WriteTo(c.conn)
		sent += w
		if err != nil {
			return sent, neterr.UntilDeadline(ctx, err, "tcp: bulk send")
		}
	}
	return sent, nil
}

// bulkWrite is how many bytes SendBulk hands the kernel per call, and the
// size of a sink's reads of a bulk flow: large enough that a system call
// per call costs little next to copying the bytes.
const bulkWrite = 512 << 10

// Finish ends a flow: it half-closes the connection and waits until the
// server has closed its side, which a Sink does only after reporting the
// last byte. Anything the server still sends is discarded.
func (c *Client) Finish(ctx context.Context) error {
	defer c.conn.Close()
	if err := closeWrite(c.conn); err != nil {
		return fmt.Errorf("tcp: finish: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(time.Now()) })
	defer stop()
	if _, err := io.Copy(io.Discard, c.conn); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("tcp: finish: %w", err)
	}
	return nil
}

// Close closes the connection at once.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the client's connection, for what watches it from outside
// (a path following its sender).
func (c *Client) Conn() net.Conn { return c.conn }

// Watch watches the client's connection for its TCP_INFO (see Watch).
func (c *Client) Watch() *InfoWatch { return Watch(c.conn) }

// CheckBulk reports whether chunk is what SendBulk sent at stream offset
// off: a Sink's OnBytes uses it to verify a bulk transfer byte for byte.
func CheckBulk(off int64, chunk []byte) bool { return wire.CheckPattern(off, chunk) }
