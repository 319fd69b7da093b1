package tcpflow

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var (
	client = netip.MustParseAddrPort("10.77.0.1:40000")
	server = netip.MustParseAddrPort("10.77.0.2:7007")
)

// pkt is a hand-built packet's description; build lays it out with
// gVisor's header encoders, a second implementation, so the parser is not
// checked against its own reading of the RFCs.
type pkt struct {
	src, dst   netip.AddrPort
	seq        uint32
	flags      header.TCPFlags
	payload    int
	tcpOptions int   // bytes of TCP options (NOPs), a multiple of 4
	ipOptions  int   // bytes of IPv4 options (NOPs), a multiple of 4
	frag       uint8 // IPv4 flags (header.IPv4FlagMoreFragments)
	fragOffset uint16
	proto      uint8  // 0 means TCP
	id         uint16 // IPv4 identification
}

func (p pkt) build() []byte {
	proto := p.proto
	if proto == 0 {
		proto = uint8(header.TCPProtocolNumber)
	}
	tcpLen := header.TCPMinimumSize + p.tcpOptions
	b := make([]byte, header.IPv4MinimumSize+tcpLen+p.payload)
	header.IPv4(b).Encode(&header.IPv4Fields{
		TotalLength:    uint16(len(b)),
		TTL:            64,
		Protocol:       proto,
		Flags:          p.frag,
		FragmentOffset: p.fragOffset,
		ID:             p.id,
		SrcAddr:        tcpip.AddrFrom4(p.src.Addr().As4()),
		DstAddr:        tcpip.AddrFrom4(p.dst.Addr().As4()),
	})
	tcpHdr := header.TCP(b[header.IPv4MinimumSize:])
	tcpHdr.Encode(&header.TCPFields{
		SrcPort:    p.src.Port(),
		DstPort:    p.dst.Port(),
		SeqNum:     p.seq,
		DataOffset: uint8(tcpLen),
		Flags:      p.flags,
		WindowSize: 65535,
	})
	for i := range p.tcpOptions {
		tcpHdr[header.TCPMinimumSize+i] = 1 // NOP
	}
	for i := range b[header.IPv4MinimumSize+tcpLen:] {
		b[header.IPv4MinimumSize+tcpLen+i] = 0xAB
	}
	if p.ipOptions > 0 {
		// gVisor encodes options from typed values; NOPs are spliced in.
		b = slices.Insert(b, header.IPv4MinimumSize, make([]byte, p.ipOptions)...)
		for i := range p.ipOptions {
			b[header.IPv4MinimumSize+i] = 1
		}
		b[0] = 0x40 | byte((header.IPv4MinimumSize+p.ipOptions)/4)
		binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	}
	return b
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    pkt
		want Segment
	}{
		{
			name: "SYN",
			p:    pkt{src: client, dst: server, seq: 1000, flags: header.TCPFlagSyn, tcpOptions: 20},
			want: Segment{Src: client, Dst: server, Seq: 1000, Flags: FlagSYN},
		},
		{
			name: "data with timestamps",
			p:    pkt{src: client, dst: server, seq: 0xfffffff0, flags: header.TCPFlagAck | header.TCPFlagPsh, payload: 204, tcpOptions: 12},
			want: Segment{Src: client, Dst: server, Seq: 0xfffffff0, Flags: FlagACK | FlagPSH, Payload: 204},
		},
		{
			name: "pure ACK",
			p:    pkt{src: server, dst: client, seq: 77, flags: header.TCPFlagAck},
			want: Segment{Src: server, Dst: client, Seq: 77, Flags: FlagACK},
		},
		{
			name: "IPv4 options move the TCP header",
			p:    pkt{src: client, dst: server, seq: 5, flags: header.TCPFlagAck, payload: 10, ipOptions: 8},
			want: Segment{Src: client, Dst: server, Seq: 5, Flags: FlagACK, Payload: 10},
		},
		{
			name: "FIN with data",
			p:    pkt{src: client, dst: server, seq: 9, flags: header.TCPFlagFin | header.TCPFlagAck, payload: 3},
			want: Segment{Src: client, Dst: server, Seq: 9, Flags: FlagFIN | FlagACK, Payload: 3},
		},
		{
			name: "don't-fragment is not a fragment",
			p:    pkt{src: client, dst: server, seq: 1, flags: header.TCPFlagAck, payload: 1, frag: header.IPv4FlagDontFragment},
			want: Segment{Src: client, Dst: server, Seq: 1, Flags: FlagACK, Payload: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.p.build()
			got, err := Parse(b)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			// The head alone is enough: the payload length comes from
			// the IPv4 header.
			got, err = Parse(b[:min(len(b), MaxHeaders)])
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	syn := pkt{src: client, dst: server, seq: 1, flags: header.TCPFlagSyn}.build()
	patched := func(at int, v byte) []byte {
		b := slices.Clone(syn)
		b[at] = v
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrNotIPv4},
		{"IPv6", patched(0, 0x60), ErrNotIPv4},
		{"UDP", pkt{src: client, dst: server, proto: uint8(header.UDPProtocolNumber)}.build(), ErrNotTCP},
		{"first fragment", pkt{src: client, dst: server, flags: header.TCPFlagAck, payload: 8, frag: header.IPv4FlagMoreFragments}.build(), ErrFragment},
		{"later fragment", pkt{src: client, dst: server, flags: header.TCPFlagAck, payload: 8, fragOffset: 1480}.build(), ErrFragment},
		{"IPv4 header cut", syn[:19], ErrTruncated},
		{"TCP header cut", syn[:39], ErrTruncated},
		{"IHL below 5", patched(0, 0x44), ErrMalformed},
		// A head of 70 bytes of a 1000-byte packet whose IPv4 header says
		// 60 bytes: no room for the TCP header.
		{"IHL past the head", func() []byte {
			b := pkt{src: client, dst: server, flags: header.TCPFlagAck, payload: 960}.build()[:70]
			b[0] = 0x4f
			return b
		}(), ErrTruncated},
		{"total length below the IPv4 header", patched(3, 10), ErrMalformed},
		{"total length below the TCP header", patched(3, 30), ErrMalformed},
		{"TCP data offset below 5", patched(20+12, 0x40), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.b)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// FuzzParse checks Parse against gVisor's header package on any input:
// where Parse accepts a packet, gVisor reads the same fields; where
// gVisor finds a whole, unfragmented IPv4 packet with a TCP header, Parse
// accepts it.
func FuzzParse(f *testing.F) {
	// A SYN with options: the common anchor.
	f.Add(pkt{src: client, dst: server, seq: 1000, flags: header.TCPFlagSyn, tcpOptions: 20}.build())
	// Data across the sequence wrap.
	f.Add(pkt{src: client, dst: server, seq: 0xffffffff, flags: header.TCPFlagAck, payload: 40}.build())
	// IPv4 options before the TCP header.
	f.Add(pkt{src: client, dst: server, flags: header.TCPFlagAck, payload: 4, ipOptions: 40}.build())
	// A fragment, refused.
	f.Add(pkt{src: client, dst: server, flags: header.TCPFlagAck, payload: 8, frag: header.IPv4FlagMoreFragments}.build())
	// Not TCP.
	f.Add(pkt{src: client, dst: server, proto: 17}.build())
	// Not IPv4, and nothing at all.
	f.Add([]byte{0x60, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		ip := header.IPv4(b)
		if err == nil {
			ihl := int(ip.HeaderLength())
			tcpHdr := header.TCP(b[ihl:])
			assert.Equal(t, uint8(header.TCPProtocolNumber), ip.Protocol())
			assert.False(t, ip.More())
			assert.Zero(t, ip.FragmentOffset())
			assert.Equal(t, ip.SourceAddress().As4(), s.Src.Addr().As4())
			assert.Equal(t, ip.DestinationAddress().As4(), s.Dst.Addr().As4())
			assert.Equal(t, tcpHdr.SourcePort(), s.Src.Port())
			assert.Equal(t, tcpHdr.DestinationPort(), s.Dst.Port())
			assert.Equal(t, tcpHdr.SequenceNumber(), s.Seq)
			assert.Equal(t, uint8(tcpHdr.Flags()), s.Flags)
			assert.Equal(t, int(ip.TotalLength())-ihl-int(tcpHdr.DataOffset()), s.Payload)
			assert.GreaterOrEqual(t, s.Payload, 0)
			return
		}
		if ip.IsValid(len(b)) && ip.Protocol() == uint8(header.TCPProtocolNumber) && !ip.More() && ip.FragmentOffset() == 0 {
			ihl := int(ip.HeaderLength())
			if len(b) >= ihl+header.TCPMinimumSize {
				off := int(header.TCP(b[ihl:]).DataOffset())
				if off >= header.TCPMinimumSize && ihl+off <= int(ip.TotalLength()) {
					t.Errorf("gVisor reads a TCP packet that Parse refuses: %v", err)
				}
			}
		}
	})
}
