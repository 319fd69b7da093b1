package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/net/ipv4"

	"netmatrix/internal/wire"
)

// DialFunc opens a connection; (*net.Dialer).DialContext and a
// harness.Network's Dial both fit, so a client runs over any path.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Client is a connected UDP socket to an echo server or a Sink.
type Client struct {
	conn  net.Conn
	batch func(ms []message) (int, error)
}

// Dial connects a UDP socket to addr.
func Dial(ctx context.Context, dialer DialFunc, addr string) (*Client, error) {
	c, err := dialer(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("udp: dial %s: %w", addr, err)
	}
	cl := &Client{conn: c}
	if uc, ok := c.(*net.UDPConn); ok {
		_ = uc.SetWriteBuffer(4 << 20)
		_ = uc.SetReadBuffer(4 << 20)
		pc := ipv4.NewPacketConn(uc)
		cl.batch = func(ms []message) (int, error) { return pc.WriteBatch(ms, 0) }
	} else {
		cl.batch = func(ms []message) (int, error) {
			for i := range ms {
				if _, err := c.Write(ms[i].Buffers[0]); err != nil {
					return i, err
				}
			}
			return len(ms), nil
		}
	}
	return cl, nil
}

// WriteMsg sends p as one datagram.
func (c *Client) WriteMsg(p []byte) error {
	_, err := c.conn.Write(p)
	return err
}

// ReadMsg reads one datagram into p.
func (c *Client) ReadMsg(p []byte) (int, error) { return c.conn.Read(p) }

// SetReadDeadline bounds the next ReadMsg.
func (c *Client) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// Close closes the socket.
func (c *Client) Close() error { return c.conn.Close() }

// LocalAddr is the client's own address.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Bulk describes a bulk UDP transfer.
type Bulk struct {
	// Size is each datagram's payload in bytes, header included. Zero
	// means 1400, which fits a 1500-byte MTU with room for tunnels.
	Size int
	// Rate is the target in payload bits per second. Zero means as fast
	// as the socket takes datagrams: UDP itself never slows down.
	Rate int64
	// Deadline ends the transfer; zero means only Count does.
	Deadline time.Time
	// Count ends the transfer after this many datagrams; zero means only
	// Deadline does.
	Count int64
}

// SendBulk sends numbered, checkable datagrams (see CheckBulk) at the
// target rate until the deadline, the count or ctx ends it. It returns
// the number of datagrams sent. Each system call carries a batch, and the
// pacing sends a batch when the rate has earned it, so sending stays
// cheap at high rates and even at low ones.
func (c *Client) SendBulk(ctx context.Context, b Bulk) (int64, error) {
	if b.Size == 0 {
		b.Size = 1400
	}
	if b.Size < wire.HeaderLen || b.Size > maxDatagram {
		return 0, fmt.Errorf("udp: bulk datagram size %d out of range %d..%d", b.Size, wire.HeaderLen, maxDatagram)
	}
	if b.Deadline.IsZero() && b.Count == 0 {
		return 0, errors.New("udp: bulk needs a deadline or a count")
	}
	ms := newMessages(batchSize, b.Size)
	start := time.Now()
	var sent int64
	for {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		now := time.Now()
		if !b.Deadline.IsZero() && !now.Before(b.Deadline) {
			return sent, nil
		}
		n := int64(batchSize)
		if b.Count > 0 {
			n = min(n, b.Count-sent)
			if n == 0 {
				return sent, nil
			}
		}
		if b.Rate > 0 {
			earned := int64(now.Sub(start).Seconds()*float64(b.Rate)/8/float64(b.Size)) + 1
			n = min(n, earned-sent)
			if n <= 0 {
				// Sleep until the next datagram is due; a batch then
				// makes up for timer granularity.
				due := start.Add(time.Duration(float64(sent) * float64(b.Size) * 8 / float64(b.Rate) * float64(time.Second)))
				sleep(ctx, due.Sub(now))
				continue
			}
		}
		stamp := wire.Now()
		for i := range n {
			wire.PutBulkDatagram(ms[i].Buffers[0], uint64(sent+i), stamp)
		}
		w, err := c.batch(ms[:n])
		sent += int64(w)
		if err != nil {
			if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
				return sent, ctx.Err()
			}
			return sent, fmt.Errorf("udp: bulk send: %w", err)
		}
	}
}

// CheckBulk parses a datagram SendBulk sent and reports its sequence
// number and whether its payload arrived intact.
func CheckBulk(msg []byte) (seq uint64, sent int64, ok bool) {
	h, ok := wire.CheckBulkDatagram(msg)
	return h.Seq, h.Sent, ok
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
