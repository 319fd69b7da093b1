package remote

import (
	"context"
	"net"
	"sync"

	"netmatrix/internal/neterr"
)

// vetListener accepts connections from ln and looks at each in a
// goroutine of its own before passing it on, so a slow or silent one
// holds up no other: the shape both the shared port's Splitter and the
// gate's token check have. vet decides where a connection goes: it
// returns nil when it closed the connection, else the connection (the
// bytes it looked at put back) and whether to queue it for Accept or
// hand it to other, in the goroutine vet ran in, once it is no longer
// being looked at.
type vetListener struct {
	ln     net.Listener
	vet    func(net.Conn) (pass net.Conn, queue bool)
	other  func(net.Conn)
	out    chan net.Conn
	ctx    context.Context // done once closed
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	looking map[net.Conn]struct{} // connections vet is looking at
}

func newVetListener(ln net.Listener, vet func(net.Conn) (net.Conn, bool), other func(net.Conn)) *vetListener {
	l := &vetListener{ln: ln, vet: vet, other: other, out: make(chan net.Conn), looking: map[net.Conn]struct{}{}}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Go(l.accept)
	return l
}

func (l *vetListener) accept() {
	for {
		// neterr.Accept waits out a shortage of descriptors; anything
		// else (the listener closed) ends the listener.
		c, err := neterr.Accept(l.ctx, l.ln)
		if err != nil {
			l.Close()
			return
		}
		l.wg.Go(func() { l.route(c) })
	}
}

func (l *vetListener) route(c net.Conn) {
	l.mu.Lock()
	if l.ctx.Err() != nil {
		l.mu.Unlock()
		c.Close()
		return
	}
	l.looking[c] = struct{}{}
	l.mu.Unlock()
	pass, queue := l.vet(c)
	l.mu.Lock()
	delete(l.looking, c)
	l.mu.Unlock()
	switch {
	case pass == nil:
		return
	case !queue:
		l.other(pass)
		return
	}
	select {
	case l.out <- pass:
	case <-l.ctx.Done():
		pass.Close()
	}
}

// Accept returns the next connection vet passed on.
func (l *vetListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.out:
		return c, nil
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes the listener and the connections
// being looked at; those handed to other are not its to close.
func (l *vetListener) Close() error {
	l.mu.Lock()
	l.cancel()
	for c := range l.looking {
		c.Close()
	}
	l.mu.Unlock()
	return l.ln.Close()
}

// Wait waits for every goroutine the listener started, other's included.
func (l *vetListener) Wait() { l.wg.Wait() }

func (l *vetListener) Addr() net.Addr { return l.ln.Addr() }
