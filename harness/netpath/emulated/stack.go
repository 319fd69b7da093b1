package emulated

import (
	"fmt"

	"netmatrix/harness/netpath"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Addresses of the two emulated hosts.
var (
	clientAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 1})
	serverAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
)

const nicID tcpip.NICID = 1

// Socket buffer sizes. The defaults let a bulk flow keep 400 MB/s in
// flight on a path with no delay; the maximum is what receive-buffer
// auto-tuning and SetReadBuffer may grow to, enough for the
// delay-bandwidth product of the satellite profile (25 Mbit/s x 600 ms,
// about 2 MB) several times over.
const (
	bufMin     = 4 << 10
	bufDefault = 1 << 20
	bufMax     = 16 << 20
)

// newStack builds one host: IPv4, TCP and UDP over n, with addr
// on it and every destination routed through it.
func newStack(addr tcpip.Address, n *nic, opts *netpath.Options) (*stack.Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	if err := configureStack(s, addr, n, opts); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

func configureStack(s *stack.Stack, addr tcpip.Address, n *nic, opts *netpath.Options) error {
	sack := tcpip.TCPSACKEnabled(true)
	cc := tcpip.CongestionControlOption(opts.CongestionControl)
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	tcpSend := tcpip.TCPSendBufferSizeRangeOption{Min: bufMin, Default: bufDefault, Max: bufMax}
	tcpRecv := tcpip.TCPReceiveBufferSizeRangeOption{Min: bufMin, Default: bufDefault, Max: bufMax}
	for name, opt := range map[string]tcpip.SettableTransportProtocolOption{
		"SACK": &sack, "congestion control": &cc, "receive buffer moderation": &moderate,
		"send buffer": &tcpSend, "receive buffer": &tcpRecv,
	} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return fmt.Errorf("emulated: emulated TCP %s: %s", name, err)
		}
	}
	// Stack-wide limits bound what SetReadBuffer and SetWriteBuffer may ask
	// for, UDP's included (quic-go asks for several MB).
	if err := s.SetOption(tcpip.SendBufferSizeOption{Min: bufMin, Default: bufDefault, Max: bufMax}); err != nil {
		return fmt.Errorf("emulated: emulated send buffer: %s", err)
	}
	if err := s.SetOption(tcpip.ReceiveBufferSizeOption{Min: bufMin, Default: bufDefault, Max: bufMax}); err != nil {
		return fmt.Errorf("emulated: emulated receive buffer: %s", err)
	}
	if err := s.CreateNICWithOptions(nicID, n, stack.NICOptions{QDisc: (*nicQueue)(n)}); err != nil {
		return fmt.Errorf("emulated: emulated NIC: %s", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: addr.WithPrefix()}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("emulated: emulated address %s: %s", addr, err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	return nil
}
