package harness

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
)

// newTestPath builds an emulated path that closes when the test ends.
func newTestPath(tb testing.TB, ctx context.Context, spec link.Spec, opts ...EmulatedOption) *EmulatedPath {
	tb.Helper()
	p, err := NewEmulatedPath(ctx, spec, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { p.Close() })
	return p
}

// randomReader is n bytes of seeded noise: incompressible, reproducible.
func randomReader(n int64, seed uint64) io.Reader {
	var key [32]byte
	key[0] = byte(seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// transfer is the result of one TCP transfer.
type transfer struct {
	sent, got      [sha256.Size]byte
	sentN, gotN    int64
	elapsed        time.Duration // from dial to the last byte received
	serverErr, err error
}

// tcpTransfer sends n bytes of noise from client to server over one TCP
// connection and hashes both ends.
func tcpTransfer(tb testing.TB, ctx context.Context, p Path, n int64, seed uint64) transfer {
	tb.Helper()
	return tcpTransferWith(tb, ctx, p, n, seed, nil)
}

// tcpTransferWith is tcpTransfer with a hook to set the accepted conn up
// before it reads.
func tcpTransferWith(tb testing.TB, ctx context.Context, p Path, n int64, seed uint64, setup func(net.Conn) error) transfer {
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

	var t transfer
	start := time.Now()
	c, err := p.Client().Dial(ctx, "tcp", ln.Addr().String())
	require.NoError(tb, err)
	h := sha256.New()
	t.sentN, t.err = io.Copy(c, io.TeeReader(randomReader(n, seed), h))
	copy(t.sent[:], h.Sum(nil))
	if cw, ok := c.(interface{ CloseWrite() error }); ok && t.err == nil {
		t.err = cw.CloseWrite()
	}
	select {
	case r := <-done:
		t.got, t.gotN, t.serverErr, t.elapsed = r.sum, r.n, r.err, r.at.Sub(start)
	case <-ctx.Done():
		t.serverErr = ctx.Err()
	}
	c.Close()
	if errors.Is(t.serverErr, io.EOF) {
		t.serverErr = nil
	}
	return t
}
