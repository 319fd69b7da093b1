package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLen is the size of the header at the start of every measured
// message. Messages shorter than this cannot be measured.
const HeaderLen = 16

// ErrShort reports a message too short to hold a header.
var ErrShort = errors.New("wire: message shorter than its header")

// Header is what a measured message carries so that its receiver can
// tell loss, order, duplication and one-way delay without asking the sender.
type Header struct {
	Seq  uint64 // 0, 1, 2, ... in send order
	Sent int64  // send time, nanoseconds on the Now clock
}

// PutHeader writes h into the first HeaderLen bytes of b, which must be at
// least that long.
func PutHeader(b []byte, h Header) {
	_ = b[HeaderLen-1]
	binary.BigEndian.PutUint64(b[0:8], h.Seq)
	binary.BigEndian.PutUint64(b[8:16], uint64(h.Sent))
}

// ParseHeader reads the header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	return Header{
		Seq:  binary.BigEndian.Uint64(b[0:8]),
		Sent: int64(binary.BigEndian.Uint64(b[8:16])),
	}, nil
}

// Arrival is what a sink records for one received message.
type Arrival struct {
	Header
	Arrived int64 // receive time on the Now clock
	Size    int   // message length in bytes, header included
}
