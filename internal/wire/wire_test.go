package wire

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/bufs"
)

func TestHeaderRoundTrip(t *testing.T) {
	b := make([]byte, 160)
	PutHeader(b, Header{Seq: 1<<40 + 7, Sent: -5})
	h, err := ParseHeader(b)
	require.NoError(t, err)
	assert.Equal(t, Header{Seq: 1<<40 + 7, Sent: -5}, h)
	_, err = ParseHeader(b[:HeaderLen-1])
	assert.ErrorIs(t, err, ErrShort)
}

func TestFrames(t *testing.T) {
	var stream bytes.Buffer
	var scratch []byte
	var err error
	for _, msg := range [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{7}, 5000)} {
		scratch, err = WriteFrame(&stream, scratch, msg)
		require.NoError(t, err)
	}
	buf := bufs.New(8192)
	defer buf.Release()
	for _, want := range []int{3, 0, 5000} {
		msg, err := ReadFrame(&stream, &buf)
		require.NoError(t, err)
		assert.Len(t, msg, want)
	}
	_, err = ReadFrame(&stream, &buf)
	assert.Equal(t, io.EOF, err, "end of input between frames")

	// A frame cut short is an unexpected end, not a clean one.
	var cut bytes.Buffer
	_, err = WriteFrame(&cut, nil, []byte("truncated"))
	require.NoError(t, err)
	_, err = ReadFrame(bytes.NewReader(cut.Bytes()[:7]), &buf)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// A prefix claiming more than the buffer may grow to, or more than
	// any frame, is refused before reading.
	var huge [4]byte
	for _, n := range []uint32{8193, MaxFrame + 1} {
		binary.BigEndian.PutUint32(huge[:], n)
		_, err = ReadFrame(bytes.NewReader(huge[:]), &buf)
		assert.ErrorIs(t, err, ErrFrameTooLarge)
	}
	_, err = WriteFrame(io.Discard, nil, make([]byte, MaxFrame+1))
	assert.ErrorIs(t, err, ErrFrameTooLarge)
}

func TestPatternWrapsAndChecks(t *testing.T) {
	// A window that crosses the end of the period is still contiguous.
	w := Pattern(PatternLen-10, 20)
	assert.Equal(t, Pattern(PatternLen-10, 10), w[:10])
	assert.Equal(t, Pattern(0, 10), w[10:])
	// CheckPattern takes chunks longer than the period.
	long := append(append([]byte(nil), Pattern(5, PatternLen)...), Pattern(5, 100)...)
	assert.True(t, CheckPattern(5, long))
	assert.False(t, CheckPattern(6, long))
}

func TestBulkDatagram(t *testing.T) {
	b := make([]byte, 1400)
	PutBulkDatagram(b, 99, 12345)
	h, ok := CheckBulkDatagram(b)
	assert.True(t, ok)
	assert.Equal(t, Header{Seq: 99, Sent: 12345}, h)
	b[700] ^= 0x80
	_, ok = CheckBulkDatagram(b)
	assert.False(t, ok, "a flipped bit is caught")
	PutBulkDatagram(b, 99, 12345)
	_, ok = CheckBulkDatagram(b[:1399])
	assert.False(t, ok, "a truncated datagram is caught")
}

func TestSockperfReply(t *testing.T) {
	msg := make([]byte, 20)
	PutSockperfHeader(msg, 3, len(msg))
	assert.Equal(t, 20, SockperfLen(msg))
	assert.True(t, SockperfReply(msg))
	assert.Equal(t, uint16(2), binary.BigEndian.Uint16(msg[8:10]), "client flag cleared, pong kept")
	binary.BigEndian.PutUint16(msg[8:10], 1) // client, no pong wanted
	assert.False(t, SockperfReply(msg))
	assert.False(t, SockperfReply(msg[:5]), "too short for a header")
}

func TestClockIsMonotonicAndNearWallTime(t *testing.T) {
	a := Now()
	b := Now()
	assert.GreaterOrEqual(t, b, a)
	assert.GreaterOrEqual(t, int64(Since(a)), int64(0))
}
