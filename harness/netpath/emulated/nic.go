package emulated

import (
	"errors"
	"io"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"netmatrix/harness/link"
)

// nic is one host's network card on the emulated path: a gVisor link
// endpoint whose outbound packets go onto the relay, and a link.Endpoint
// through which the relay delivers the far host's packets to this stack.
// Packets cross synchronously, as gVisor's own pipe endpoint does: no
// channel and no goroutine of its own.
type nic struct {
	mtu   uint32
	out   link.Dir // the direction this host's packets travel
	relay *link.Relay

	// attached holds the stack's dispatcher from Attach, nil when
	// detached: read for every packet delivered, set at attach and
	// detach only.
	attached atomic.Pointer[attachment]
}

// attachment is the dispatcher a nic is attached to.
type attachment struct{ d stack.NetworkDispatcher }

var (
	_ io.ReaderAt              = (*packet)(nil)
	_ stack.LinkEndpoint       = (*nic)(nil)
	_ stack.QueueingDiscipline = (*nicQueue)(nil)
	_ link.Endpoint            = (*nic)(nil)
)

// errDetached reports a packet arriving at a host whose stack is gone.
var errDetached = errors.New("emulated: emulated host is shut down")

// send puts one of the stack's outbound packets on the link as a fresh
// inbound packet sharing the payload's memory (no copy): the far stack
// must parse its headers anew.
func (n *nic) send(pkt *stack.PacketBuffer) {
	in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: pkt.ToBuffer()})
	n.relay.Send(n.out, (*packet)(in))
}

// WritePackets implements stack.LinkWriter; the stack writes through
// nicQueue instead, so only its raw writes come this way.
func (n *nic) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	for _, pkt := range pkts.AsSlice() {
		n.send(pkt)
	}
	return pkts.Len(), nil
}

// nicQueue is the NIC's queueing discipline: it sends each packet straight
// to the relay (which queues by time itself). Without one, gVisor wraps
// every packet in a fresh one-packet list for WritePackets, an allocation
// per packet.
type nicQueue nic

func (q *nicQueue) WritePacket(pkt *stack.PacketBuffer) tcpip.Error {
	(*nic)(q).send(pkt)
	return nil
}

func (q *nicQueue) Close() {}

// WritePacket delivers a packet from the link into this host's stack.
func (n *nic) WritePacket(p link.Packet) error {
	pkt := (*stack.PacketBuffer)(p.(*packet))
	defer pkt.DecRef()
	a := n.attached.Load()
	if a == nil {
		return errDetached
	}
	a.d.DeliverNetworkPacket(header.IPv4ProtocolNumber, pkt)
	return nil
}

func (n *nic) Attach(d stack.NetworkDispatcher) {
	if d == nil {
		n.attached.Store(nil)
		return
	}
	n.attached.Store(&attachment{d: d})
}

func (n *nic) IsAttached() bool { return n.attached.Load() != nil }

func (n *nic) MTU() uint32             { return n.mtu }
func (n *nic) SetMTU(uint32)           {} // the link's MTU is fixed by its Spec
func (n *nic) MaxHeaderLength() uint16 { return 0 }

// The link has no link-layer addresses: packets are IP, end to end.
func (n *nic) LinkAddress() tcpip.LinkAddress          { return "" }
func (n *nic) SetLinkAddress(tcpip.LinkAddress)        {}
func (n *nic) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }
func (n *nic) AddHeader(*stack.PacketBuffer)           {}
func (n *nic) ParseHeader(*stack.PacketBuffer) bool    { return true }

// Capabilities offloads checksums: packets never leave the process and the
// link model does not corrupt them, so computing and checking TCP and UDP
// checksums would only spend CPU the throughput needs.
func (n *nic) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityTXChecksumOffload | stack.CapabilityRXChecksumOffload
}

func (n *nic) Wait()                   {}
func (n *nic) Close()                  {}
func (n *nic) SetOnCloseAction(func()) {}

// packet is a gVisor packet buffer seen as a link.Packet. The conversion
// of a pointer costs nothing, so the relay handles it without allocating.
type packet stack.PacketBuffer

func (p *packet) Len() int { return (*stack.PacketBuffer)(p).Size() }

// Clone gives the duplicate its own packet over the same payload memory.
func (p *packet) Clone() link.Packet {
	return (*packet)((*stack.PacketBuffer)(p).CloneToInbound())
}

func (p *packet) Release() { (*stack.PacketBuffer)(p).DecRef() }

// ReadAt shows a link.Tap the packet's bytes (link.Head), read from its
// views in place: no copy of the packet, no allocation.
func (p *packet) ReadAt(b []byte, off int64) (int, error) {
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
