package wire

import (
	"bytes"
	"math/rand/v2"
)

// PatternLen is the period of the bulk fill pattern. It is prime, so a
// chunk lost, repeated or moved by any whole number of write or read sizes
// lands at an offset where the pattern differs and the check catches it.
const PatternLen = 131071

// pattern holds the period twice, so any window of up to PatternLen bytes
// starting anywhere in the period is one contiguous slice.
var pattern = func() []byte {
	r := rand.New(rand.NewPCG(0x6e6d78, 0x70617474))
	b := make([]byte, 2*PatternLen)
	for i := 0; i < PatternLen; i++ {
		b[i] = byte(r.Uint32())
	}
	copy(b[PatternLen:], b[:PatternLen])
	return b
}()

// Pattern returns the n bytes of the fill pattern that start at stream
// offset off. n must not exceed PatternLen. The slice is shared: do not
// write to it.
func Pattern(off int64, n int) []byte {
	start := int(off % PatternLen)
	return pattern[start : start+n : start+n]
}

// CheckPattern reports whether b equals the fill pattern at stream offset
// off. b may be of any length.
func CheckPattern(off int64, b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), PatternLen)
		if !bytes.Equal(b[:n], Pattern(off, n)) {
			return false
		}
		off += int64(n)
		b = b[n:]
	}
	return true
}

// PutBulkDatagram fills b as bulk datagram number seq: the header, then
// the fill pattern at an offset derived from seq, so the receiver can
// check each datagram on its own whatever was lost before it.
func PutBulkDatagram(b []byte, seq uint64, sent int64) {
	PutHeader(b, Header{Seq: seq, Sent: sent})
	copy(b[HeaderLen:], Pattern(bulkOffset(seq, len(b)), len(b)-HeaderLen))
}

// CheckBulkDatagram parses a bulk datagram and reports whether its payload
// is intact.
func CheckBulkDatagram(b []byte) (Header, bool) {
	h, err := ParseHeader(b)
	if err != nil {
		return h, false
	}
	return h, CheckPattern(bulkOffset(h.Seq, len(b)), b[HeaderLen:])
}

func bulkOffset(seq uint64, size int) int64 {
	return int64((seq * uint64(size)) % PatternLen)
}
