package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"netmatrix/internal/busypoll"
	"netmatrix/internal/wire"
)

// DialFunc opens a connection; (*net.Dialer).DialContext and a
// harness.Network's Dial both fit, so a client runs over any path.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Client is a connected UDP socket to an echo server or a Sink.
type Client struct {
	conn net.Conn
	pio  packetIO
	// rd is ReadMsg's one-entry batch on a host socket, kept so that a
	// read allocates nothing; nil where reads go through conn. rdMu keeps
	// ReadMsg safe to call from several goroutines, as conn.Read is.
	rdMu sync.Mutex
	rd   []dgram
}

// Dial connects a UDP socket to addr.
func Dial(ctx context.Context, dialer DialFunc, addr string) (*Client, error) {
	c, err := dialer(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("udp: dial %s: %w", addr, err)
	}
	cl := &Client{conn: c, pio: newConnIO(c, ioOptions{gso: true, busyPoll: busypoll.Default})}
	if uc, ok := c.(*net.UDPConn); ok {
		_ = uc.SetWriteBuffer(4 << 20)
		_ = uc.SetReadBuffer(4 << 20)
	}
	if _, ok := cl.pio.(connIO); !ok {
		cl.rd = make([]dgram, 1)
	}
	return cl, nil
}

// WriteMsg sends p as one datagram.
func (c *Client) WriteMsg(p []byte) error {
	_, err := c.conn.Write(p)
	return err
}

// ReadMsg reads one datagram into p. On a host socket it busy-polls
// briefly before sleeping, so a reply that comes within microseconds is
// read without a wake-up.
func (c *Client) ReadMsg(p []byte) (int, error) {
	if c.rd == nil || len(p) == 0 {
		return c.conn.Read(p)
	}
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	c.rd[0] = dgram{buf: p}
	if _, err := c.pio.readBatch(c.rd); err != nil {
		return 0, err
	}
	return c.rd[0].n, nil
}

// SetReadDeadline bounds the next ReadMsg.
func (c *Client) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline bounds the next WriteMsg (a full socket buffer).
func (c *Client) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// Close closes the socket.
func (c *Client) Close() error { return c.conn.Close() }

// LocalAddr is the client's own address.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Bulk describes a bulk UDP transfer.
type Bulk struct {
	// Size is each datagram's payload in bytes, header included. Zero
	// means 1400, which fits a 1500-byte MTU with room for tunnels.
	Size int
	// Rate is the target in payload bits per second. Zero (or less) means
	// as fast as the socket takes datagrams: UDP itself never slows down.
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
// cheap at high rates and even at low ones. Where the kernel has GSO, a
// batch is runs of up to 64 datagrams that it cuts itself, one buffer
// each through the stack: on loopback a run stays whole to a GRO reader.
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
	bat := newBulkBatch(b.Size, c.pio.segments(b.Size))
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
		n := int64(bat.max())
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
		w, err := bat.send(c.pio, uint64(sent), int(n))
		sent += int64(w)
		if err != nil {
			if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
				return sent, ctx.Err()
			}
			return sent, fmt.Errorf("udp: bulk send: %w", err)
		}
	}
}

// bulkBatch is SendBulk's send buffer: up to batchSize entries, each a
// run of seg datagrams (one without GSO), laid out back to back.
type bulkBatch struct {
	size, seg int
	buf       []byte
	ds        []dgram
}

// maxBulkDatagrams bounds one batch: enough to make a system call's cost
// vanish, small enough that pacing at a modest rate stays smooth.
const maxBulkDatagrams = 512

func newBulkBatch(size, seg int) *bulkBatch {
	entries := min(batchSize, max(1, maxBulkDatagrams/seg))
	return &bulkBatch{size: size, seg: seg, buf: make([]byte, entries*seg*size), ds: make([]dgram, entries)}
}

// max is how many datagrams one send can carry.
func (b *bulkBatch) max() int { return len(b.ds) * b.seg }

// send fills n datagrams numbered from seq, stamps them, sends them and
// returns how many went out.
func (b *bulkBatch) send(pio packetIO, seq uint64, n int) (int, error) {
	stamp := wire.Now()
	for i := range n {
		wire.PutBulkDatagram(b.buf[i*b.size:(i+1)*b.size], seq+uint64(i), stamp)
	}
	entries := 0
	for off := 0; off < n; off += b.seg {
		k := min(b.seg, n-off)
		d := &b.ds[entries]
		*d = dgram{buf: b.buf[off*b.size : (off+k)*b.size]}
		if k > 1 {
			d.seg = b.size
		}
		entries++
	}
	sent := 0
	for e := 0; e < entries; {
		w, err := pio.writeBatch(b.ds[e:entries])
		for _, d := range b.ds[e : e+w] {
			sent += len(d.buf) / b.size
		}
		e += w
		if err != nil {
			return sent, err
		}
		if w == 0 {
			break
		}
	}
	return sent, nil
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
