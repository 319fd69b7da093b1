package tcpflow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// TCP header flags (RFC 9293, section 3.1).
const (
	FlagFIN = 1 << 0
	FlagSYN = 1 << 1
	FlagRST = 1 << 2
	FlagPSH = 1 << 3
	FlagACK = 1 << 4
)

// MaxHeaders is the most bytes Parse needs: the longest IPv4 header (60)
// and the longest TCP header (60). A packet's head this long is enough.
const MaxHeaders = 60 + 60

// Segment is what one IPv4 packet carrying TCP says about the stream.
type Segment struct {
	Src, Dst netip.AddrPort
	Seq      uint32 // sequence number of the first octet (of the SYN, if set)
	Flags    uint8
	// Payload is the number of data bytes, from the IPv4 total length: the
	// bytes themselves need not be in the buffer parsed.
	Payload int
}

// Errors Parse returns, each wrapped with the detail.
var (
	ErrNotIPv4   = errors.New("tcpflow: not an IPv4 packet")
	ErrNotTCP    = errors.New("tcpflow: not TCP")
	ErrFragment  = errors.New("tcpflow: an IP fragment")
	ErrTruncated = errors.New("tcpflow: headers cut short")
	ErrMalformed = errors.New("tcpflow: malformed header")
)

const (
	ipv4MinHeader = 20
	tcpMinHeader  = 20
	protoTCP      = 6
)

// Parse reads the IPv4 and TCP headers at the start of b, which may hold
// the whole packet or only its first MaxHeaders bytes. A fragment is
// refused rather than half-read: its TCP header, if any, describes data
// that is not all in this packet.
func Parse(b []byte) (Segment, error) {
	// IPv4 header (RFC 791, section 3.1): version and header length in
	// the first byte, total length in bytes 2-3.
	if len(b) < 1 || b[0]>>4 != 4 {
		return Segment{}, ErrNotIPv4
	}
	if len(b) < ipv4MinHeader {
		return Segment{}, fmt.Errorf("%w: %d bytes of IPv4 header", ErrTruncated, len(b))
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < ipv4MinHeader || total < ihl {
		return Segment{}, fmt.Errorf("%w: IPv4 header length %d, total length %d", ErrMalformed, ihl, total)
	}
	// Flags and fragment offset: more-fragments bit or an offset.
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x3fff != 0 {
		return Segment{}, fmt.Errorf("%w: flags and offset %#04x", ErrFragment, frag)
	}
	if b[9] != protoTCP {
		return Segment{}, fmt.Errorf("%w: protocol %d", ErrNotTCP, b[9])
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))

	// TCP header (RFC 9293, section 3.1): ports, sequence number, data
	// offset in the high nibble of byte 12, flags in byte 13.
	if len(b) < ihl+tcpMinHeader {
		return Segment{}, fmt.Errorf("%w: %d bytes for %d of IPv4 and %d of TCP header", ErrTruncated, len(b), ihl, tcpMinHeader)
	}
	t := b[ihl:]
	off := int(t[12]>>4) * 4
	if off < tcpMinHeader || total < ihl+off {
		return Segment{}, fmt.Errorf("%w: TCP data offset %d in a packet of %d bytes", ErrMalformed, off, total)
	}
	return Segment{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:2])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:4])),
		Seq:     binary.BigEndian.Uint32(t[4:8]),
		Flags:   t[13],
		Payload: total - ihl - off,
	}, nil
}
