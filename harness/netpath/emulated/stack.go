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

// Socket buffer sizes. TCP's follow Linux's defaults (net.ipv4.tcp_wmem
// and tcp_rmem: min, initial, and what autotuning grows to, as Linux
// 6.18 has them and the kernel path's namespaces inherit them), so an
// untuned server is held by the same buffers on the emulated path as on
// the kernel path: the send buffer grows with the congestion window up
// to 4 MiB, the receive buffer with what the application reads in a
// round trip up to 32 MiB (6 MiB in kernels before 2025), of which
// gVisor advertises half as its window (Linux about two thirds of its
// own). Every other socket (UDP's: quic-go asks for several MiB) gets a
// default of 1 MiB and may ask for up to 16 MiB.
const (
	bufMin     = 4 << 10
	bufDefault = 1 << 20
	bufMax     = 16 << 20

	tcpSendDefault    = 16 << 10
	tcpSendMax        = 4 << 20
	tcpReceiveDefault = 128 << 10
	tcpReceiveMax     = 32 << 20
)

// newStack builds one host: IPv4, TCP and UDP over n, with addr
// on it and every destination routed through it. probe, if not nil,
// sees its TCP senders' state after every segment they receive.
func newStack(addr tcpip.Address, n *nic, opts *netpath.Options, probe *senderProbe) (*stack.Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcpProtocol(probe), udp.NewProtocol},
	})
	if err := configureStack(s, addr, n, opts); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

func configureStack(s *stack.Stack, addr tcpip.Address, n *nic, opts *netpath.Options) error {
	sack := tcpip.TCPSACKEnabled(true)
	// RACK-TLP, gVisor's default and Linux's, unless the run asks for
	// SACK recovery alone (see netpath.Options.SACKRecovery).
	recovery := tcpip.TCPRACKLossDetection
	if opts.SACKRecovery {
		recovery = 0
	}
	cc := tcpip.CongestionControlOption(opts.CongestionControl)
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	// A buffer asked for (opts.SendBuffer, kept doubled as on Linux)
	// raises the maximum to it, as SO_SNDBUFFORCE passes wmem_max.
	tcpSend := tcpip.TCPSendBufferSizeRangeOption{Min: bufMin, Default: tcpSendDefault, Max: max(tcpSendMax, 2*opts.SendBuffer)}
	tcpRecv := tcpip.TCPReceiveBufferSizeRangeOption{Min: bufMin, Default: tcpReceiveDefault, Max: max(tcpReceiveMax, 2*opts.ReceiveBuffer)}
	for name, opt := range map[string]tcpip.SettableTransportProtocolOption{
		"SACK": &sack, "congestion control": &cc, "receive buffer moderation": &moderate,
		"send buffer": &tcpSend, "receive buffer": &tcpRecv, "loss recovery": &recovery,
	} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, opt); err != nil {
			return fmt.Errorf("emulated: emulated TCP %s: %s", name, err)
		}
	}
	// Stack-wide limits bound what SetReadBuffer and SetWriteBuffer may ask
	// for, UDP's included (quic-go asks for several MB).
	if err := s.SetOption(tcpip.SendBufferSizeOption{Min: bufMin, Default: bufDefault, Max: max(bufMax, 2*opts.SendBuffer)}); err != nil {
		return fmt.Errorf("emulated: emulated send buffer: %s", err)
	}
	if err := s.SetOption(tcpip.ReceiveBufferSizeOption{Min: bufMin, Default: bufDefault, Max: max(bufMax, 2*opts.ReceiveBuffer)}); err != nil {
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
