package tcp

import (
	"context"
	"errors"
	"net"
	"sync"

	"netmatrix/internal/neterr"
)

// serve accepts connections on ln and runs handle for each in its own
// goroutine until ctx is done or Accept fails for good: a temporary
// failure, such as running out of file descriptors, is waited out (see
// neterr.Accept), so the connections already open go on being served and
// new ones are taken again once descriptors are free. When it returns, the
// listener and every connection it accepted are closed and every handler
// has returned, so a cancelled run leaves nothing behind.
func serve(ctx context.Context, ln net.Listener, handle func(ctx context.Context, c net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu     sync.Mutex
		conns  = make(map[net.Conn]struct{})
		wg     sync.WaitGroup
		closed bool
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer func() {
		cancel()
		stop()
		wg.Wait()
	}()

	for {
		c, err := neterr.Accept(ctx, ln)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			ln.Close()
			return err
		}
		mu.Lock()
		if closed {
			mu.Unlock()
			c.Close()
			continue
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			handle(ctx, c)
		})
	}
}

// noDelaySetter is what *net.TCPConn and the emulated path's TCP conns
// have in common for Nagle's algorithm.
type noDelaySetter interface{ SetNoDelay(bool) error }

// setNagle turns Nagle's algorithm on or off where the connection allows
// it. Go turns it off for every new TCP connection; the emulated stack
// follows the same rule through this call.
func setNagle(c net.Conn, on bool) {
	if nd, ok := c.(noDelaySetter); ok {
		_ = nd.SetNoDelay(!on)
	}
}

// closeWrite half-closes c where it can, so the peer reads EOF while c
// can still read; otherwise it closes c.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// maxRead is the most an echo connection reads at once, and the largest
// message a sink or a sockperf echo takes. Buffers start smaller and grow
// to it only as reads fill them (see bufs.Buf), so an idle connection
// holds a few KiB.
const maxRead = 64 << 10
