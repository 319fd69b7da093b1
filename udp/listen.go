package udp

import (
	"context"
	"fmt"
	"net"
)

// Listen opens a UDP socket on the host's own stack. An address with no
// host (":7") binds to loopback, not to every interface: an echo server
// that anyone can reach is a tool for reflection attacks, so exposing it
// must be asked for by naming the address.
func Listen(ctx context.Context, addr string) (net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("udp: listen on %q: %w", addr, err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("udp: listen on %s: %w", addr, err)
	}
	if uc, ok := pc.(*net.UDPConn); ok {
		// Room for bursts: the kernel caps this at net.core.rmem_max.
		_ = uc.SetReadBuffer(4 << 20)
		_ = uc.SetWriteBuffer(4 << 20)
	}
	return pc, nil
}
