package emulated

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"netmatrix/harness/netpath"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// host is one host of the emulated path, seen as a Network.
type host struct {
	stack *stack.Stack
	addr  tcpip.Address
	done  <-chan struct{}  // closed when the path closes
	bufs  *netpath.Options // every TCP socket's buffers (sizeBuffers)
	// senders follows this host's TCP senders for WatchSender, where
	// the path was asked to; nil otherwise.
	senders *senderProbe
}

var _ netpath.Network = (*host)(nil)

func newHost(s *stack.Stack, addr tcpip.Address, done <-chan struct{}, bufs *netpath.Options, senders *senderProbe) *host {
	return &host{stack: s, addr: addr, done: done, bufs: bufs, senders: senders}
}

// errNotIPv4 reports an address family the emulated hosts lack.
var errNotIPv4 = errors.New("emulated: the emulated path is IPv4 only")

// parseAddr parses "host:port" where host is an IPv4 literal or empty
// (any address, for listening). Names are not resolved: the emulated
// hosts have no DNS.
func parseAddr(network, addr string) (tcpip.FullAddress, error) {
	switch network {
	case "tcp", "tcp4", "udp", "udp4":
	default:
		return tcpip.FullAddress{}, fmt.Errorf("emulated: network %q: %w", network, errNotIPv4)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return tcpip.FullAddress{}, fmt.Errorf("emulated: address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return tcpip.FullAddress{}, fmt.Errorf("emulated: port in %q: %w", addr, err)
	}
	full := tcpip.FullAddress{NIC: nicID, Port: uint16(port)}
	if host == "" {
		return full, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return tcpip.FullAddress{}, fmt.Errorf("emulated: host in %q must be an IP address: %w", addr, err)
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return tcpip.FullAddress{}, fmt.Errorf("emulated: host in %q: %w", addr, errNotIPv4)
	}
	if !ip.IsUnspecified() {
		full.Addr = tcpip.AddrFrom4(ip.As4())
	}
	return full, nil
}

// bindAddr parses a local address to bind: unspecified or this host's.
// gVisor would bind any address, where a kernel refuses with
// EADDRNOTAVAIL.
func (h *host) bindAddr(network, addr string) (tcpip.FullAddress, error) {
	full, err := parseAddr(network, addr)
	if err != nil {
		return full, err
	}
	if full.Addr != (tcpip.Address{}) && full.Addr != h.addr {
		return full, fmt.Errorf("emulated: bind %s: %w", addr, errForeignAddr)
	}
	return full, nil
}

// errForeignAddr reports a bind to an address the host does not have.
var errForeignAddr = errors.New("cannot assign requested address")

// newEndpoint makes a transport endpoint of network ("tcp" or "udp").
func (h *host) newEndpoint(network string, wq *waiter.Queue) (tcpip.Endpoint, error) {
	proto := udp.ProtocolNumber
	if network[:3] == "tcp" {
		proto = tcp.ProtocolNumber
	}
	ep, err := h.stack.NewEndpoint(proto, ipv4.ProtocolNumber, wq)
	if err != nil {
		return nil, fmt.Errorf("emulated: %s endpoint: %s", network, err)
	}
	return ep, nil
}

// opError wraps a gVisor error as the net package would report it.
func opError(op, network string, addr tcpip.FullAddress, err tcpip.Error) error {
	return &net.OpError{Op: op, Net: network, Addr: netAddr(network, addr), Err: errors.New(err.String())}
}

func netAddr(network string, a tcpip.FullAddress) net.Addr {
	ip := net.IP(a.Addr.AsSlice())
	if network[:3] == "tcp" {
		return &net.TCPAddr{IP: ip, Port: int(a.Port)}
	}
	return &net.UDPAddr{IP: ip, Port: int(a.Port)}
}

// Listen listens for TCP on addr ("10.0.0.2:0", ":7").
func (h *host) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	ep, wq, full, err := h.bind(ctx, "tcp", network, addr)
	if err != nil {
		return nil, err
	}
	sizeBuffers(ep, h.bufs)
	if terr := ep.Listen(listenBacklog); terr != nil {
		ep.Close()
		return nil, opError("listen", network, full, terr)
	}
	return newListener(ep, wq, h.done, h.bufs), nil
}

// listenBacklog is Linux's default somaxconn (as gonet uses).
const listenBacklog = 4096

// ListenPacket opens a UDP socket on addr; its conn is an
// *PacketConn.
func (h *host) ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error) {
	ep, wq, _, err := h.bind(ctx, "udp", network, addr)
	if err != nil {
		return nil, err
	}
	return newPacketConn(ep, wq), nil
}

// bind makes an endpoint of network, which must be of the family want
// ("tcp" or "udp"), bound to addr.
func (h *host) bind(ctx context.Context, want, network, addr string) (tcpip.Endpoint, *waiter.Queue, tcpip.FullAddress, error) {
	var full tcpip.FullAddress
	if err := ctx.Err(); err != nil {
		return nil, nil, full, err
	}
	full, err := h.bindAddr(network, addr)
	if err != nil {
		return nil, nil, full, err
	}
	if network[:3] != want {
		return nil, nil, full, fmt.Errorf("emulated: listen on %q: want a %s network", network, want)
	}
	wq := new(waiter.Queue)
	ep, err := h.newEndpoint(network, wq)
	if err != nil {
		return nil, nil, full, err
	}
	if terr := ep.Bind(full); terr != nil {
		ep.Close()
		return nil, nil, full, opError("listen", network, full, terr)
	}
	return ep, wq, full, nil
}

// Dial connects to addr: a TCP dial waits for the handshake, or ctx; a
// UDP dial returns a connected *PacketConn at once.
func (h *host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	full, err := parseAddr(network, addr)
	if err != nil {
		return nil, err
	}
	if full.Addr == (tcpip.Address{}) {
		return nil, fmt.Errorf("emulated: dial %q: no host", addr)
	}
	if network[:3] == "udp" {
		return h.dialUDP(ctx, network, full)
	}
	return h.dialTCP(ctx, network, full)
}

func (h *host) dialUDP(ctx context.Context, network string, full tcpip.FullAddress) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var wq waiter.Queue
	ep, err := h.newEndpoint(network, &wq)
	if err != nil {
		return nil, err
	}
	if terr := ep.Connect(full); terr != nil {
		ep.Close()
		return nil, opError("dial", network, full, terr)
	}
	return newPacketConn(ep, &wq), nil
}

func (h *host) dialTCP(ctx context.Context, network string, full tcpip.FullAddress) (net.Conn, error) {
	var wq waiter.Queue
	ep, err := h.newEndpoint(network, &wq)
	if err != nil {
		return nil, err
	}
	sizeBuffers(ep, h.bufs)
	// Register before Connect: the handshake may finish before we wait.
	entry, writable := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	terr := ep.Connect(full)
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-writable:
			terr = ep.LastError()
		case <-ctx.Done():
			ep.Close()
			return nil, fmt.Errorf("emulated: dial %s: %w", netAddr(network, full), ctx.Err())
		case <-h.done:
			ep.Close()
			return nil, fmt.Errorf("emulated: dial %s: %w", netAddr(network, full), net.ErrClosed)
		}
	}
	if terr != nil {
		ep.Close()
		return nil, opError("dial", network, full, terr)
	}
	return newTCPConn(ep, &wq), nil
}
