package emulated

import (
	"fmt"
	"net"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/waiter"
)

// PacketConn is a UDP socket on the emulated path: gonet's
// net.PacketConn (and net.Conn, when dialled) plus SetReadBuffer and
// SetWriteBuffer, which quic-go calls to size its socket buffers.
type PacketConn struct {
	*gonet.UDPConn
	socketBuffers
}

func newPacketConn(ep tcpip.Endpoint, wq *waiter.Queue) *PacketConn {
	return &PacketConn{UDPConn: gonet.NewUDPConn(wq, ep), socketBuffers: socketBuffers{ep}}
}

// WriteTo sends b to addr. gonet takes only a *net.UDPAddr and reads a
// 16-byte IPv4 address (as net.ParseIP returns) as IPv6, so the address
// is put in the form the stack expects first.
func (c *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		if addr == nil {
			return 0, fmt.Errorf("emulated: write to a nil address")
		}
		var err error
		if ua, err = net.ResolveUDPAddr("udp", addr.String()); err != nil {
			return 0, fmt.Errorf("emulated: write to %v: %w", addr, err)
		}
	}
	if ip4 := ua.IP.To4(); ip4 != nil && len(ua.IP) != net.IPv4len {
		ua = &net.UDPAddr{IP: ip4, Port: ua.Port}
	}
	return c.UDPConn.WriteTo(b, ua)
}
