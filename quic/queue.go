package quic

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// inbox holds whole messages that arrived on their own (a reply on its own
// stream, a datagram) until ReadMsg takes them, with a read deadline that
// also wakes a ReadMsg already waiting, as a socket's does.
type inbox struct {
	mu     sync.Mutex
	msgs   [][]byte
	ready  chan struct{} // a token while msgs is not empty
	closed chan struct{}
	err    error // why the inbox closed
	dl     chan struct{}
	timer  *time.Timer
	// dropped counts messages refused because limit were waiting: the
	// reader fell behind, as a socket's full receive buffer drops.
	dropped uint64
	limit   int
}

func newInbox(limit int) *inbox {
	return &inbox{ready: make(chan struct{}, 1), closed: make(chan struct{}), dl: make(chan struct{}), limit: limit}
}

// put queues msg; it reports false when the inbox is full or closed.
func (b *inbox) put(msg []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil || len(b.msgs) >= b.limit {
		b.dropped++
		return false
	}
	b.msgs = append(b.msgs, msg)
	select {
	case b.ready <- struct{}{}:
	default:
	}
	return true
}

// close wakes readers with err once the queue is empty.
func (b *inbox) close(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
		close(b.closed)
	}
}

// read copies the next message into p, waiting until one comes, the
// deadline passes or the inbox closes.
func (b *inbox) read(p []byte) (int, error) {
	for {
		b.mu.Lock()
		if len(b.msgs) > 0 {
			m := b.msgs[0]
			b.msgs[0] = nil
			b.msgs = b.msgs[1:]
			if len(b.msgs) > 0 {
				select {
				case b.ready <- struct{}{}:
				default:
				}
			}
			b.mu.Unlock()
			n := copy(p, m)
			if n < len(m) {
				return n, fmt.Errorf("quic: message of %d bytes read into %d", len(m), len(p))
			}
			return n, nil
		}
		dl, err := b.dl, b.err
		b.mu.Unlock()
		if err != nil {
			return 0, err
		}
		select {
		case <-dl:
			return 0, fmt.Errorf("quic: read: %w", os.ErrDeadlineExceeded)
		case <-b.ready:
		case <-b.closed:
		}
	}
}

// setDeadline sets when read gives up; a zero t means never. A deadline
// already past fails a waiting read at once.
func (b *inbox) setDeadline(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil && !b.timer.Stop() {
		<-b.dl // the timer fired: wait for the channel it closed
	}
	b.timer = nil
	closed := isClosed(b.dl)
	if t.IsZero() {
		if closed {
			b.dl = make(chan struct{})
		}
		return
	}
	d := time.Until(t)
	if d <= 0 {
		if !closed {
			close(b.dl)
		}
		return
	}
	if closed {
		b.dl = make(chan struct{})
	}
	dl := b.dl
	b.timer = time.AfterFunc(d, func() { close(dl) })
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
