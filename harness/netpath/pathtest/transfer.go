package pathtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"netmatrix/harness/netpath"

	"github.com/stretchr/testify/require"
)

// randomReader is n bytes of seeded noise: incompressible, reproducible.
func randomReader(n int64, seed uint64) io.Reader {
	var key [32]byte
	key[0] = byte(seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// Transfer is the result of one TCP Transfer.
type Transfer struct {
	Sent, Got      [sha256.Size]byte // SHA-256 of what was sent and what arrived
	SentN, GotN    int64
	Elapsed        time.Duration // from dial to the last byte received
	ServerErr, Err error
}

// BulkOptions are the options compare gives a path for a bulk run, which
// the tests' bulk transfers over the emulated path take too: SACK
// recovery, not RACK-TLP. With RACK the pinned gVisor can stall a lossy
// transfer at its tail for good: after a retransmission timeout its
// sender counts fewer segments in flight than there are (none, at the
// end), and when the tail loss probe it then sends is lost, it arms no
// timer, since it arms one only for a count above zero. Three 10 MiB
// transfers in 60 did so under -race with both CPUs busy
// (docs/kernel-path.md).
var BulkOptions = netpath.Options{}.For(netpath.Use{Bulk: true})

// TCPTransfer sends n bytes of noise from client to server over one TCP
// connection and hashes both ends.
func TCPTransfer(tb testing.TB, ctx context.Context, p netpath.Path, n int64, seed uint64) Transfer {
	tb.Helper()
	return TCPTransferWith(tb, ctx, p, n, seed, nil)
}

// TCPTransferWith is TCPTransfer with a hook to set the accepted conn up
// before it reads.
func TCPTransferWith(tb testing.TB, ctx context.Context, p netpath.Path, n int64, seed uint64, setup func(net.Conn) error) Transfer {
	tb.Helper()
	ln, err := p.Server().Listen(ctx, "tcp", net.JoinHostPort(p.ServerHost(), "0"))
	require.NoError(tb, err)
	defer ln.Close()
	type recv struct {
		sum [sha256.Size]byte
		n   int64
		err error
		at  time.Time
	}
	done := make(chan recv, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- recv{err: err}
			return
		}
		defer c.Close()
		if setup != nil {
			if err := setup(c); err != nil {
				done <- recv{err: err}
				return
			}
		}
		h := sha256.New()
		got, err := io.Copy(h, c)
		var r recv
		r.n, r.err, r.at = got, err, time.Now()
		copy(r.sum[:], h.Sum(nil))
		done <- r
	}()

	var t Transfer
	start := time.Now()
	c, err := p.Client().Dial(ctx, "tcp", ln.Addr().String())
	require.NoError(tb, err)
	h := sha256.New()
	t.SentN, t.Err = io.Copy(c, io.TeeReader(randomReader(n, seed), h))
	copy(t.Sent[:], h.Sum(nil))
	if cw, ok := c.(interface{ CloseWrite() error }); ok && t.Err == nil {
		t.Err = cw.CloseWrite()
	}
	select {
	case r := <-done:
		t.Got, t.GotN, t.ServerErr, t.Elapsed = r.sum, r.n, r.err, r.at.Sub(start)
	case <-ctx.Done():
		t.ServerErr = ctx.Err()
	}
	c.Close()
	if errors.Is(t.ServerErr, io.EOF) {
		t.ServerErr = nil
	}
	return t
}
