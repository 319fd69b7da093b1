package bufs

import (
	"io"
	"math/bits"
	"sync"
)

// MinSize is the smallest class: where every Buf starts.
const MinSize = 2 << 10

// MaxSize is the largest class; a larger buffer is allocated for the
// asker and left to the garbage collector when put back.
const MaxSize = 1 << 20

const (
	minShift = 11 // log2(MinSize)
	classes  = 10 // MinSize << (classes-1) == MaxSize
)

// pools hold *[]byte so that putting one back does not allocate a slice
// header.
var pools [classes]sync.Pool

// class returns the index of the smallest class of at least n bytes.
func class(n int) int {
	if n <= MinSize {
		return 0
	}
	return bits.Len(uint(n-1)) - minShift
}

// Get returns a buffer of at least n bytes: its class's size, or n if
// that is over MaxSize.
func Get(n int) *[]byte {
	if n > MaxSize {
		b := make([]byte, n)
		return &b
	}
	c := class(n)
	if p, _ := pools[c].Get().(*[]byte); p != nil {
		return p
	}
	b := make([]byte, MinSize<<c)
	return &b
}

// Put gives back a buffer from Get; nil and sizes that are no class's
// are left to the garbage collector.
func Put(p *[]byte) {
	if p == nil {
		return
	}
	n := cap(*p)
	if n < MinSize || n > MaxSize || n&(n-1) != 0 {
		return
	}
	*p = (*p)[:n]
	pools[class(n)].Put(p)
}

// Buf is a read buffer on loan that grows, by doubling, up to a limit.
// Its methods are for one goroutine at a time.
type Buf struct {
	p     *[]byte
	limit int
}

// New returns a Buf of MinSize (or limit, if smaller) that may grow to
// limit bytes.
func New(limit int) Buf {
	return Buf{p: Get(min(MinSize, limit)), limit: limit}
}

// Limit is the most room the Buf grows to.
func (b *Buf) Limit() int { return b.limit }

// Bytes is the room to read into.
func (b *Buf) Bytes() []byte { return (*b.p)[:min(len(*b.p), b.limit)] }

// Filled says a read put n bytes into Bytes. If they filled it, more were
// likely waiting: the next read gets twice the room, up to the limit. What
// Bytes held is not kept.
func (b *Buf) Filled(n int) {
	if n >= len(b.Bytes()) && n < b.limit {
		b.swap(2*n, 0)
	}
}

// Grow returns at least n bytes of room (but never more than the limit:
// the caller checks), trading the buffer for a larger one if it is
// short, with its first keep bytes copied across.
func (b *Buf) Grow(n, keep int) []byte {
	if n > len(b.Bytes()) {
		b.swap(n, keep)
	}
	return b.Bytes()
}

// ReadFull reads from r into b until it holds n bytes, the first have of
// which it holds already, and returns them (valid until b's next use). The
// room grows as the bytes arrive, not to n at once, so a peer that
// announces a large message and sends little of it is given little. n
// must not be over the limit. Errors are io.ReadFull's.
func (b *Buf) ReadFull(r io.Reader, have, n int) ([]byte, error) {
	got := have
	for got < n {
		room := b.Bytes()
		if got == len(room) {
			room = b.Grow(min(n, 2*got), got)
		}
		k, err := r.Read(room[got:min(n, len(room))])
		got += k
		switch {
		case got == n:
		case err == io.EOF && got > have:
			return nil, io.ErrUnexpectedEOF
		case err != nil:
			return nil, err
		}
	}
	return b.Bytes()[:n], nil
}

// swap trades the buffer for one of at least n bytes (at most the
// limit), copying the first keep bytes across.
func (b *Buf) swap(n, keep int) {
	p := Get(min(n, b.limit))
	copy(*p, (*b.p)[:keep])
	Put(b.p)
	b.p = p
}

// Release gives the buffer back. The Buf must not be used after.
func (b *Buf) Release() {
	Put(b.p)
	b.p = nil
}
