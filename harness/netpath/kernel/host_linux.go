//go:build linux

package kernel

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"netmatrix/harness/netpath"

	"golang.org/x/sys/unix"
)

// Host is one host of a kernel path: a network namespace whose
// only way out is a TUN device into the relay, seen as a Network. Its
// sockets are the kernel's own (*net.TCPConn, *net.UDPConn), made on a
// thread inside the namespace; the rest of the program stays where it
// is.
type Host struct {
	ns   *netns
	tun  *tunDev
	addr netip.Addr
	// opts are the path's, with its defaults: the congestion control
	// (TCP_CONGESTION) and the buffers of every TCP socket.
	opts netpath.Options

	open tracker

	mu   sync.Mutex
	last hostCounters // the last counters read, reported once the namespace is gone
}

var _ netpath.Network = (*Host)(nil)

// Addr is the host's address on the path.
func (h *Host) Addr() netip.Addr { return h.addr }

// Do runs fn on an OS thread inside the host's namespace, which it holds
// until fn returns: every socket fn opens, directly or through the net
// package, is the host's, and so is any process it starts. Goroutines fn
// starts run on other threads, outside: a socket one of them opens is
// this process's own, while the sockets fn hands them stay the host's.
func (h *Host) Do(fn func() error) error { return h.ns.run(fn) }

// start starts cmd inside the host's namespace, as Do(cmd.Start) would,
// with the two hosts' addresses in its environment (ClientEnv,
// ServerEnv), and makes the kernel kill it (SIGKILL) should this
// process die without waiting for it: a command left running in a
// namespace whose link is gone would only hang. The caller waits for
// cmd, as after cmd.Start.
//
// TCP sockets the command opens get the congestion control the path was
// built with where the host lets a namespace default to it (reno always;
// others if net.ipv4.tcp_allowed_congestion_control lists them);
// defaultCongestionControl says which they get.
func (h *Host) start(cmd *exec.Cmd) error {
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, ClientEnv+"="+clientAddr.String(), ServerEnv+"="+serverAddr.String())
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if cmd.SysProcAttr.Pdeathsig == 0 {
		// It comes when the thread that forked ends, not the process:
		// onThread hands that thread back to the runtime rather than
		// ending it, so it comes only when this process dies.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	return h.ns.run(cmd.Start)
}

// defaultCongestionControl is the TCP congestion control of sockets that
// do not choose one, in programs started in the host.
func (h *Host) defaultCongestionControl() (string, error) {
	var name string
	err := h.ns.run(func() error {
		b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_congestion_control")
		name = strings.TrimSpace(string(b))
		return err
	})
	return name, err
}

// checkNetwork checks network and addr for a socket on a kernel host and
// returns the network to use: IPv4 only, as on the emulated path (the
// namespaces have no IPv6 addresses), and hosts as IP literals only. The
// namespaces have no DNS, and a name that resolved to several addresses
// would have the net package dial them from goroutines of its own, on
// threads outside the namespace.
func checkNetwork(network, addr string, needHost bool) (string, error) {
	switch network {
	case "tcp", "tcp4", "udp", "udp4":
	default:
		return "", fmt.Errorf("kernel: network %q: the kernel path is IPv4 only", network)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("kernel: address %q: %w", addr, err)
	}
	if host == "" {
		if needHost {
			return "", fmt.Errorf("kernel: dial %q: no host", addr)
		}
		return network[:3] + "4", nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("kernel: host in %q must be an IP address: the kernel path has no DNS", addr)
	}
	if !ip.Unmap().Is4() {
		return "", fmt.Errorf("kernel: host in %q: the kernel path is IPv4 only", addr)
	}
	// "tcp4" and "udp4" make IPv4 sockets, whose addresses read back as
	// IPv4 ("0.0.0.0:7", not "[::]:7") for clients to dial.
	return network[:3] + "4", nil
}

// control sets the congestion control and the buffers of a TCP socket
// before it listens or connects; accepted connections take their
// listener's.
func (h *Host) control(network, addr string, c syscall.RawConn) error {
	if err := h.opts.SetSocketBuffers(network, addr, c); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, h.opts.CongestionControl)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("kernel: TCP congestion control %q: %w", h.opts.CongestionControl, serr)
	}
	return nil
}

// Listen listens for TCP on addr ("10.77.0.2:0", ":7") inside the host.
func (h *Host) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	if !strings.HasPrefix(network, "tcp") {
		return nil, fmt.Errorf("kernel: listen on %q: want a tcp network", network)
	}
	network, err := checkNetwork(network, addr, false)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: h.control}
	ln, err := hostOpen(h, func() (net.Listener, error) { return lc.Listen(ctx, network, addr) })
	if err != nil {
		return nil, err
	}
	return &listener{Listener: ln, open: &h.open}, nil
}

// ListenPacket opens a UDP socket on addr inside the host; its conn is a
// *net.UDPConn, so quic-go and the udp package use their batched and
// segmented I/O on it as on any host socket.
func (h *Host) ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error) {
	if !strings.HasPrefix(network, "udp") {
		return nil, fmt.Errorf("kernel: listen on %q: want a udp network", network)
	}
	network, err := checkNetwork(network, addr, false)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: h.control}
	return hostOpen(h, func() (net.PacketConn, error) { return lc.ListenPacket(ctx, network, addr) })
}

// Dial connects from inside the host to addr, an IP literal and port.
func (h *Host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	network, err := checkNetwork(network, addr, true)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Control: h.control}
	return hostOpen(h, func() (net.Conn, error) { return d.DialContext(ctx, network, addr) })
}

// hostOpen runs open inside h's namespace and keeps what it opened, to
// close with the path.
func hostOpen[T io.Closer](h *Host, open func() (T, error)) (T, error) {
	var v T
	err := h.ns.run(func() error {
		var err error
		v, err = open()
		return err
	})
	if err != nil {
		var none T
		return none, err
	}
	return v, h.open.add(v)
}

// listener is a listener on a kernel host whose accepted
// connections close with the path. It hands them out unwrapped, as
// *net.TCPConn, for the tcp package's socket options and TCP_INFO.
type listener struct {
	net.Listener
	open *tracker
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return c, l.open.add(c)
}

// tracker holds what a kernel host opened, so that closing the path
// closes it, as closing the emulated path's stacks does: a socket whose
// link is gone would otherwise keep its readers waiting for good.
type tracker struct {
	mu      sync.Mutex
	closed  bool
	open    map[io.Closer]struct{}
	pruneAt int
}

// add keeps c until the path closes, or closes it at once and fails if
// the path has.
func (t *tracker) add(c io.Closer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return fmt.Errorf("kernel: kernel path: %w", net.ErrClosed)
	}
	if t.open == nil {
		t.open = make(map[io.Closer]struct{})
	}
	t.open[c] = struct{}{}
	// Forget what its owner closed already, now and then, so a long run
	// of short connections does not pile up here.
	if len(t.open) > t.pruneAt {
		for c := range t.open {
			if socketClosed(c) {
				delete(t.open, c)
			}
		}
		t.pruneAt = 2*len(t.open) + 64
	}
	return nil
}

// closeAll closes everything kept and refuses what comes after.
func (t *tracker) closeAll() {
	t.mu.Lock()
	open := t.open
	t.open, t.closed = nil, true
	t.mu.Unlock()
	for c := range open {
		c.Close()
	}
}

// socketClosed reports whether c, a net package socket, is closed.
func socketClosed(c io.Closer) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}
