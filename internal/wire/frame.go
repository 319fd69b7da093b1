package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"netmatrix/internal/bufs"
)

// MaxFrame bounds a length-prefixed message so that a corrupt or hostile
// prefix cannot make a reader allocate gigabytes.
const MaxFrame = 1 << 20

// ErrFrameTooLarge reports a length prefix over MaxFrame (or over the
// caller's buffer).
var ErrFrameTooLarge = errors.New("wire: frame too large")

// FramePrefixLen is the size of the length prefix before each message on a
// byte stream.
const FramePrefixLen = 4

// The first byte a client sends on a byte stream to a sink (a TCP
// connection, a QUIC stream) says what follows; the messages of a
// message flow start right after it.
const (
	FlowMessages = 'M' // length-prefixed messages, each reported to OnMessage
	FlowBulk     = 'B' // a plain byte stream, each read reported to OnBytes
	FlowKindLen  = 1   // the size of that first byte
)

// WriteFrame writes p as one length-prefixed message. The prefix and the
// payload go out in one Write so that, with Nagle off, a small message is
// one segment rather than two.
func WriteFrame(w io.Writer, scratch []byte, p []byte) ([]byte, error) {
	if len(p) > MaxFrame {
		return scratch, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(p))
	}
	n := FramePrefixLen + len(p)
	if cap(scratch) < n {
		scratch = make([]byte, n)
	}
	scratch = scratch[:n]
	binary.BigEndian.PutUint32(scratch, uint32(len(p)))
	copy(scratch[FramePrefixLen:], p)
	_, err := w.Write(scratch)
	return scratch, err
}

// ReadFrame reads one length-prefixed message into b, growing it as the
// message arrives, and returns the message (valid until b's next use). A
// connection so holds a buffer as large as the most it has received of a
// message, not as large as any message could be. An end of input between
// messages is io.EOF; in the middle of one it is io.ErrUnexpectedEOF. A
// prefix over MaxFrame or b's limit is refused before anything is read.
func ReadFrame(r io.Reader, b *bufs.Buf) ([]byte, error) {
	var prefix [FramePrefixLen]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(prefix[:]))
	if n > MaxFrame || n > b.Limit() {
		return nil, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
	}
	msg, err := b.ReadFull(r, 0, n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return msg, err
}
