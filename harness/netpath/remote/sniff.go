package remote

import (
	"errors"
	"net"
	"sync"
	"time"
)

// SniffTimeout is how long a connection to the shared port may stay
// silent before it is taken for an echo client: a person typing into nc,
// say, whose first line is slow to come.
const SniffTimeout = 5 * time.Second

// A Splitter shares one TCP port between the RFC 862 echo server and the
// control channel, so `compare serve -listen ADDR` is one address to give
// a client and one port to open. It looks at a connection's first bytes
// without taking them (MSG_PEEK, where the system has it): a TLS
// ClientHello (a handshake record, 0x16 0x03 0x0N) goes to the control
// channel; anything else, or nothing within SniffTimeout, goes to the
// echo server untouched, so nc, socat and sockperf see the echo they
// always did. An RFC 862 client could only be mistaken for TLS by
// sending a TLS record header first; sockperf's first bytes are a
// sequence number's high bytes, zero. Each connection is looked at in a
// goroutine of its own: an idle one holds up no other.
type Splitter struct {
	ln      net.Listener
	control func(net.Conn)
	echo    chan net.Conn
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup

	mu      sync.Mutex
	looking map[net.Conn]struct{} // connections being looked at
}

// Split starts sharing ln: Accept on the returned Splitter yields the
// echo server's connections; control is called, in a goroutine of its
// own, with each TLS one.
func Split(ln net.Listener, control func(net.Conn)) *Splitter {
	s := &Splitter{ln: ln, control: control, echo: make(chan net.Conn), done: make(chan struct{}), looking: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	return s
}

func (s *Splitter) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				s.Close()
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors, say: wait it out
			continue
		}
		s.wg.Go(func() { s.route(c) })
	}
}

func (s *Splitter) route(c net.Conn) {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		c.Close()
		return
	default:
	}
	s.looking[c] = struct{}{}
	s.mu.Unlock()
	raw := c
	head, c := peek(c, 3, time.Now().Add(SniffTimeout))
	s.mu.Lock()
	delete(s.looking, raw)
	s.mu.Unlock()
	if isTLS(head) {
		s.control(c)
		return
	}
	select {
	case s.echo <- c:
	case <-s.done:
		c.Close()
	}
}

// isTLS reports whether b starts a TLS handshake record (RFC 8446,
// section 5.1): content type 22, legacy version 3.x.
func isTLS(b []byte) bool {
	return len(b) == 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

// Accept returns the next connection for the echo server.
func (s *Splitter) Accept() (net.Conn, error) {
	select {
	case c := <-s.echo:
		return c, nil
	case <-s.done:
		return nil, net.ErrClosed
	}
}

// Close stops sharing and closes the listener and the connections not
// yet handed over. Those handed to the control channel are its to close.
func (s *Splitter) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		close(s.done)
		for c := range s.looking {
			c.Close()
		}
		s.mu.Unlock()
	})
	return s.ln.Close()
}

// Wait waits for every connection being looked at to be handed over.
func (s *Splitter) Wait() { s.wg.Wait() }

func (s *Splitter) Addr() net.Addr { return s.ln.Addr() }
