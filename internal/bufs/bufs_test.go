package bufs

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetRoundsUpToAClass(t *testing.T) {
	for _, tc := range []struct{ ask, size int }{
		{0, MinSize},
		{1, MinSize},
		{MinSize, MinSize},
		{MinSize + 1, 2 * MinSize},
		{64 << 10, 64 << 10},
		{MaxSize, MaxSize},
		{MaxSize + 1, MaxSize + 1}, // past the classes: exactly what was asked
	} {
		p := Get(tc.ask)
		assert.Len(t, *p, tc.size, "Get(%d)", tc.ask)
		Put(p)
	}
	Put(nil) // no buffer, nothing to do
}

func TestBufGrowsOnlyWhenAReadFillsIt(t *testing.T) {
	b := New(64 << 10)
	defer b.Release()
	assert.Len(t, b.Bytes(), MinSize, "starts small")
	b.Filled(100)
	assert.Len(t, b.Bytes(), MinSize, "a read with room to spare changes nothing")
	for _, want := range []int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 64 << 10} {
		b.Filled(len(b.Bytes()))
		assert.Len(t, b.Bytes(), want, "a full read doubles the room, up to the limit")
	}
}

func TestBufLimitNotAClass(t *testing.T) {
	b := New(5000)
	defer b.Release()
	b.Filled(MinSize)
	b.Filled(len(b.Bytes()))
	assert.Len(t, b.Bytes(), 5000, "room never passes the limit")
	assert.Len(t, b.Grow(4000, 0), 5000)
	assert.Len(t, b.Grow(6000, 0), 5000, "not even when asked")
}

func TestBufGrowKeeps(t *testing.T) {
	b := New(1 << 20)
	defer b.Release()
	copy(b.Bytes(), "kept")
	assert.Len(t, b.Grow(100, 4), MinSize, "room enough: the same buffer")
	grown := b.Grow(10000, 4)
	assert.Len(t, grown, 16<<10, "the smallest class that fits")
	assert.Equal(t, "kept", string(grown[:4]), "Grow keeps what was read")
}

// trickle hands out its bytes a few at a time.
type trickle struct {
	b []byte
	k int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), t.k)], t.b)
	t.b = t.b[n:]
	return n, nil
}

func TestReadFullGrowsAsBytesArrive(t *testing.T) {
	b := New(1 << 20)
	defer b.Release()
	msg := bytes.Repeat([]byte("0123456789"), 1000)
	got, err := b.ReadFull(&trickle{b: msg, k: 700}, 0, len(msg))
	require.NoError(t, err)
	assert.Equal(t, msg, got)
	assert.Len(t, b.Bytes(), 16<<10, "grown by doubling to what arrived")

	// A peer that announces a megabyte and sends a little: the room
	// stays near what came.
	b2 := New(1 << 20)
	defer b2.Release()
	_, err = b2.ReadFull(&trickle{b: msg[:3000], k: 3000}, 0, 1<<20)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.LessOrEqual(t, len(b2.Bytes()), 4<<10)

	_, err = b2.ReadFull(&trickle{}, 0, 10)
	assert.ErrorIs(t, err, io.EOF, "nothing at all")

	// What the buffer held already is kept, and counts.
	copy(b2.Bytes(), "head")
	got, err = b2.ReadFull(&trickle{b: msg, k: 1000}, 4, 5000)
	require.NoError(t, err)
	assert.Equal(t, "head", string(got[:4]))
	assert.Equal(t, msg[:4996], got[4:])
}
