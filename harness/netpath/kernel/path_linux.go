//go:build linux

package kernel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// Path is the kernel's own TCP and UDP over the impaired link: two
// network namespaces, the client at 10.77.0.1 and the server at
// 10.77.0.2, each with a TUN device whose packets this process reads and
// writes, and a link.Relay moving them between the two devices (the
// design of Mahimahi; no netem needed). The link model, its counters and
// its seed are those of the emulated path: only the stacks at the ends
// differ.
//
// Every name it makes starts with "nmx" and carries this process's id
// (TUN device nmx<pid>-<n>c on the client, ...s on the server). The
// namespaces are anonymous and held by this process alone, so the kernel
// removes them and their devices when the path closes or the process
// ends, however it ends.
type Path struct {
	relay  *link.Relay
	client *Host
	server *Host
	// Its hosts' sockets are the kernel's: their senders are followed
	// through TCP_INFO and SO_MEMINFO (netpath.SenderWatcher).
	netpath.KernelSockets

	cancel context.CancelFunc // stops the pumps and the relay
	pumps  sync.WaitGroup
	errMu  sync.Mutex
	err    error // the first pump failure, for Close

	unwatch   func() bool // stops closing the path when New's ctx ends
	closeOnce sync.Once
}

var (
	_ netpath.Path          = (*Path)(nil)
	_ netpath.Tapper        = (*Path)(nil)
	_ netpath.SenderWatcher = (*Path)(nil)
)

// Supported reports whether this process can build a kernel path,
// and if not, what it needs, in one line. The capabilities are those of
// its own user namespace, so root of one (StartUserns) passes.
func Supported() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("kernel: kernel path: read this process's capabilities: %w", err)
	}
	has := func(c int) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if !has(unix.CAP_SYS_ADMIN) || !has(unix.CAP_NET_ADMIN) {
		return errPrivileges
	}
	return checkTUN()
}

// pathSeq numbers the paths of this process, for device names.
var pathSeq atomic.Uint32

// New builds the two namespaces and the link between them and
// starts the relay. The path stops when ctx ends or Close is called. It
// needs CAP_SYS_ADMIN and CAP_NET_ADMIN (see Supported).
//
// Every TCP socket the hosts open gets opts.CongestionControl
// (TCP_CONGESTION, per socket: the host's sysctls are left alone), and so
// does the namespaces' default, for programs started in them, where the
// host allows it (see Programs). Any algorithm the kernel has will do.
// opts.SendBuffer and opts.ReceiveBuffer, if set, size every TCP socket's
// buffers (netpath.Options.SetSocketBuffers); programs started in the
// hosts choose their own.
func New(ctx context.Context, spec link.Spec, opts netpath.Options) (*Path, error) {
	opts = opts.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	if err := Supported(); err != nil {
		return nil, err
	}
	// Device names have 15 bytes: "nmx", a pid of up to 7 digits, and
	// a number that wraps at 1000 (each device has a namespace of its
	// own, so a repeat clashes with nothing).
	id := fmt.Sprintf("nmx%d-%d", os.Getpid(), pathSeq.Add(1)%1000)
	up, down := spec.Up.WithDefaults(), spec.Down.WithDefaults()
	client, err := newHost(id+"c", clientAddr, serverAddr, up.MTU, &opts)
	if err != nil {
		return nil, err
	}
	server, err := newHost(id+"s", serverAddr, clientAddr, down.MTU, &opts)
	if err != nil {
		client.close()
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	relay, err := link.NewRelay(pctx, spec, client.tun, server.tun)
	if err != nil {
		cancel()
		client.close()
		server.close()
		return nil, fmt.Errorf("kernel: %w", err)
	}
	p := &Path{relay: relay, client: client, server: server, cancel: cancel}
	for d, src := range map[link.Dir]*tunDev{link.Up: client.tun, link.Down: server.tun} {
		p.pumps.Go(func() {
			if err := relay.Pump(pctx, d, src); err != nil && pctx.Err() == nil {
				p.errMu.Lock()
				p.err = errors.Join(p.err, fmt.Errorf("kernel: %w", err))
				p.errMu.Unlock()
			}
		})
	}
	p.unwatch = context.AfterFunc(ctx, p.close)
	return p, nil
}

// newHost makes a namespace with a TUN device named name at local,
// towards peer, whose TCP sockets get the congestion control and buffers
// of opts.
func newHost(name string, local, peer netip.Addr, mtu int, opts *netpath.Options) (*Host, error) {
	cc := opts.CongestionControl
	h := &Host{addr: local, opts: *opts}
	ns, err := newNetns(func() error {
		// No IPv6 on the TUN device: its link-local address would send
		// router solicitations and MLD reports over the link, packets
		// no workload sent that would shift every seeded fate after
		// them. The loopback device, made with the namespace, keeps its
		// ::1 as on any host.
		if err := writeSysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := checkCongestionControl(cc); err != nil {
			return err
		}
		// The namespace's default too, for programs started in it,
		// where the kernel lets a namespace have it: outside the first
		// namespace only algorithms the host allows everyone
		// (net.ipv4.tcp_allowed_congestion_control) may be a default,
		// and that list is the host's to change, not ours. The
		// harness's own sockets set theirs one by one (control).
		if err := writeSysctl("net/ipv4/tcp_congestion_control", cc); err != nil && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("kernel: TCP congestion control %q: %w", cc, err)
		}
		tun, err := openTUN(name, local, peer, mtu)
		h.tun = tun
		return err
	})
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, refused(err)
		}
		return nil, fmt.Errorf("kernel: %w", err)
	}
	h.ns = ns
	return h, nil
}

// checkCongestionControl tries cc on a socket of the calling thread's
// namespace, so that an algorithm the kernel lacks fails here, at once,
// not at the first connection.
func checkCongestionControl(cc string) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("kernel: TCP socket: %w", err)
	}
	defer unix.Close(s)
	if err := unix.SetsockoptString(s, unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc); err != nil {
		return fmt.Errorf("kernel: TCP congestion control %q: %w", cc, err)
	}
	return nil
}

func (p *Path) Client() netpath.Network { return p.client }
func (p *Path) Server() netpath.Network { return p.server }
func (p *Path) ServerHost() string      { return serverAddr.String() }

// Hosts returns the two hosts, to start programs in them.
func (p *Path) Hosts() (client, server *Host) { return p.client, p.server }

// SetTap shows the tap every packet the path's link delivers from now on
// (netpath.Tapper).
func (p *Path) SetTap(t link.Tap) { p.relay.SetTap(t) }

// Stats reports the link's counters per direction and what the two
// kernels counted themselves: TCP segments retransmitted, and packets
// dropped on their own (a full socket receive buffer, a full TUN queue,
// an output discard), which the link counters do not include. After
// Close it reports the figures of the moment the path closed.
func (p *Path) Stats() (results.PathStats, bool) {
	st := netpath.RelayStats(p.relay)
	for _, h := range []*Host{p.client, p.server} {
		k := h.counters()
		st.TCPRetransmits += k.retransmits
		st.StackDrops += k.drops
	}
	return st, true
}

// Close stops the path: it closes every socket opened through its hosts
// (and those they accepted), stops the relay, and lets the devices and
// namespaces go. It waits for its goroutines to end. Processes started in
// the hosts are the caller's to wait for.
func (p *Path) Close() error {
	p.unwatch()
	p.close()
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// close is Close, less letting go of New's ctx and the error; it is what
// that ctx's end runs, so it does not read unwatch, which New may still
// be setting.
func (p *Path) close() {
	p.closeOnce.Do(func() {
		hosts := []*Host{p.client, p.server}
		for _, h := range hosts {
			h.counters() // kept for Stats after Close
			h.open.closeAll()
		}
		p.cancel()
		p.pumps.Wait()
		p.relay.Close()
		for _, h := range hosts {
			h.close()
		}
	})
}

func (h *Host) close() {
	if h.tun != nil {
		h.tun.Close()
	}
	if h.ns != nil {
		h.ns.close()
	}
}

// hostCounters is what a host's kernel counted, from its namespace's
// /proc/net files.
type hostCounters struct {
	retransmits uint64 // Tcp RetransSegs
	// drops: Udp RcvbufErrors, Ip InDiscards and OutDiscards, and the
	// TUN device's own drops (its queue full) both ways.
	drops uint64
}

// counters reads the host's counters, or returns the last ones read once
// the namespace is gone.
func (h *Host) counters() hostCounters {
	var k hostCounters
	err := h.ns.run(func() error {
		snmp, err := os.ReadFile("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		dev, err := os.ReadFile("/proc/thread-self/net/dev")
		if err != nil {
			return err
		}
		s := parseSNMP(string(snmp))
		k.retransmits = s["Tcp.RetransSegs"]
		k.drops = s["Udp.RcvbufErrors"] + s["Ip.InDiscards"] + s["Ip.OutDiscards"] + devDrops(string(dev), h.tun.name)
		return nil
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.last = k
	}
	return h.last
}

// parseSNMP reads /proc/net/snmp, pairs of lines of names and values per
// protocol, into "Proto.Name" keys.
func parseSNMP(s string) map[string]uint64 {
	m := make(map[string]uint64)
	lines := strings.Split(s, "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) != len(values) || len(names) == 0 || names[0] != values[0] {
			continue
		}
		proto := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			if v, err := strconv.ParseUint(values[j], 10, 64); err == nil {
				m[proto+"."+names[j]] = v
			}
		}
	}
	return m
}

// devDrops is the receive plus transmit drops of device name in
// /proc/net/dev (fields 4 and 12 after the colon).
func devDrops(s, name string) uint64 {
	for line := range strings.SplitSeq(s, "\n") {
		dev, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(dev) != name {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 12 {
			return 0
		}
		rx, _ := strconv.ParseUint(f[3], 10, 64)
		tx, _ := strconv.ParseUint(f[11], 10, 64)
		return rx + tx
	}
	return 0
}

// listening counts the sockets in the host that wait for peers: TCP
// listeners and bound UDP sockets, IPv4 and IPv6. Whoever started a
// server in the host can wait for the count to grow before starting its
// client.
func (h *Host) listening() (int, error) {
	var n int
	err := h.ns.run(func() error {
		for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
			b, err := os.ReadFile("/proc/thread-self/net/" + f)
			if errors.Is(err, fs.ErrNotExist) {
				continue // no IPv6 in this kernel
			}
			if err != nil {
				return err
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:] // a header first
			for _, l := range lines {
				st := strings.Fields(l)
				// A TCP socket in LISTEN shows state 0A; any UDP one is
				// bound to its port.
				if len(st) > 3 && (f[:3] == "udp" || st[3] == "0A") {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}
