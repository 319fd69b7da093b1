package tcpflow

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"netmatrix/harness/link"
	"netmatrix/harness/metrics"
)

// gvisorPacket is a gVisor packet buffer seen as a link.Packet, as the
// emulated path's packet type is, with the io.ReaderAt a tap needs. It
// reads the buffer's views in place: no copy of the packet, no
// allocation.
type gvisorPacket stack.PacketBuffer

func (p *gvisorPacket) Len() int           { return (*stack.PacketBuffer)(p).Size() }
func (p *gvisorPacket) Clone() link.Packet { return (*gvisorPacket)((*stack.PacketBuffer)(p).Clone()) }
func (p *gvisorPacket) Release()           { (*stack.PacketBuffer)(p).DecRef() }

func (p *gvisorPacket) ReadAt(b []byte, off int64) (int, error) {
	views, headerOffset := (*stack.PacketBuffer)(p).AsViewList()
	skip := int64(headerOffset) + off
	n := 0
	for v := views.Front(); v != nil && n < len(b); v = v.Next() {
		s := v.AsSlice()
		if skip >= int64(len(s)) {
			skip -= int64(len(s))
			continue
		}
		n += copy(b[n:], s[skip:])
		skip = 0
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// newGVisorPacket makes an inbound packet of b split over two views, as
// the emulated path's packets are (headers and payload apart).
func newGVisorPacket(b []byte, split int) *gvisorPacket {
	var buf buffer.Buffer
	buf.Append(buffer.NewViewWithData(b[:split]))
	buf.Append(buffer.NewViewWithData(b[split:]))
	return (*gvisorPacket)(stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buf}))
}

// A Flow reads gVisor's packets through the tap as it reads byte slices.
func TestFlowReadsGVisorPackets(t *testing.T) {
	f := New(server.Port())
	for i, p := range []pkt{
		{src: client, dst: server, seq: 10, flags: header.TCPFlagSyn, tcpOptions: 20},
		{src: client, dst: server, seq: 11, flags: header.TCPFlagAck, payload: 500, tcpOptions: 12},
	} {
		b := p.build()
		gp := newGVisorPacket(b, 30) // the TCP header straddles the views
		var head [MaxHeaders]byte
		assert.Equal(t, b[:min(len(b), MaxHeaders)], link.Head(gp, head[:]))
		f.Tap(link.Up, int64(i), gp)
		gp.Release()
	}
	assert.Equal(t, []metrics.ByteArrival{arrival(1, 0, 500)}, f.Arrivals())

	// Reading a packet's headers through the tap allocates nothing.
	ackPkt := newGVisorPacket(pkt{src: client, dst: server, seq: 511, flags: header.TCPFlagAck}.build(), 30)
	defer ackPkt.Release()
	assert.Zero(t, testing.AllocsPerRun(100, func() { f.Tap(link.Up, 2, ackPkt) }))
}
