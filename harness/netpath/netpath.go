package netpath

import (
	"context"
	"fmt"
	"net"

	"netmatrix/harness/link"
	"netmatrix/internal/tcplimit"
	"netmatrix/results"
)

// A Network is one host's view of the path: what a transport needs to
// listen and dial. Every kind of path gives one Network per host, so the
// transport packages run unchanged over all.
type Network interface {
	Listen(ctx context.Context, network, addr string) (net.Listener, error)
	ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error)
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
}

// A Path joins a client host and a server host.
type Path interface {
	// Client is the host the workloads' clients run on.
	Client() Network
	// Server is the host the servers run on.
	Server() Network
	// ServerHost is the address servers listen on and clients dial
	// ("127.0.0.1" on loopback).
	ServerHost() string
	// Stats reports what the link and the stacks at its ends did to
	// packets so far, in the form the record keeps it; ok is false where
	// the path cannot see its packets (loopback).
	Stats() (st results.PathStats, ok bool)
	// Close stops the path and everything it started.
	Close() error
}

// A Tapper is a path whose link shows each packet it delivers to a
// link.Tap: the emulated and kernel paths, whose relays every packet
// crosses. The engine reads from it what a transport received and when,
// apart from what the application was handed (head-of-line delay).
type Tapper interface {
	// SetTap sets the tap for every packet delivered from now on; nil
	// removes it.
	SetTap(t link.Tap)
}

// RelayStats is the part of Stats that a path's link.Relay counts: the
// link's counters each way and how late the relay handed packets over.
// The emulated and kernel paths both build their Stats on it and add
// what their own stacks counted, so the two read the link alike.
func RelayStats(r *link.Relay) results.PathStats {
	late := r.Lateness()
	return results.PathStats{
		Up:            r.Counters(link.Up),
		Down:          r.Counters(link.Down),
		RelayLateness: &late,
	}
}

// A SenderWatcher is a path that can follow what holds back the sender
// of a TCP connection its client dialled, look by look (package
// tcplimit): the emulated path through gVisor's TCP probe, after every
// ACK; the kernel path and loopback through TCP_INFO and SO_MEMINFO,
// every few milliseconds. A bulk row's limited_by is read from it.
type SenderWatcher interface {
	// WatchSender starts following c, a TCP conn of the path's client
	// or server; ok is false where the path cannot (a conn of another
	// kind, or a host whose senders it was not asked to watch).
	WatchSender(c net.Conn) (w SenderWatch, ok bool)
}

// KernelSockets is the SenderWatcher of hosts whose sockets are the
// kernel's (loopback, the kernel path, this host on a remote path,
// compare serve). Paths embed it.
type KernelSockets struct{}

// WatchSender follows the sender of c, a kernel TCP socket
// (*net.TCPConn), through TCP_INFO and SO_MEMINFO where the host has
// them (Linux; tcplimit.WatchSocket). ok is false for any other conn.
func (KernelSockets) WatchSender(c net.Conn) (SenderWatch, bool) {
	sw, ok := tcplimit.WatchSocket(c)
	if !ok {
		return nil, false // not a typed nil in the interface
	}
	return sw, true
}

// A SenderWatch follows one sender.
type SenderWatch interface {
	// Stop ends the watch, charging the last look up to now, and
	// returns the time the sender spent in each class. It may be called
	// more than once, and after the conn has closed.
	Stop() tcplimit.Times
}

// A Use is what a run opens a path for, which a path may tune itself to
// (see Options.SACKRecovery and WatchSenders).
type Use struct {
	// Bulk is a throughput run: one flow that fills the path.
	Bulk bool
	// ServerSends says the run's flow goes down, from the server half
	// (or both ways): the path watches the server's senders too.
	ServerSends bool
	// ServerOnly says no flow goes up (a download alone): the client
	// sends none, so its senders are not watched.
	ServerOnly bool
}

// For is o tuned to what a run opens its path for: SACK recovery and
// the client's senders watched for a bulk run (but for a download
// alone, where the client sends nothing), the server's too when its
// flow goes down.
func (o Options) For(u Use) Options {
	o.SACKRecovery, o.WatchSenders = u.Bulk, u.Bulk && !u.ServerOnly
	o.WatchServerSenders = u.Bulk && u.ServerSends
	return o
}

// Options are the settings every kind of path takes, each with one name
// whatever the path. The zero value gives every path its defaults.
type Options struct {
	// CongestionControl is the TCP congestion control of the hosts'
	// sockets: "reno" or "cubic" on every path; the kernel path takes
	// any algorithm its kernel has ("bbr" where built). Empty means
	// DefaultCongestionControl.
	CongestionControl string
	// SendBuffer and ReceiveBuffer size every TCP socket's send and
	// receive buffers, in bytes, as SO_SNDBUF and SO_RCVBUF do on Linux:
	// set before the socket listens or connects (the window scale is
	// fixed at the SYN; accepted sockets take their listener's), past
	// the host's limits (SO_SNDBUFFORCE, SO_RCVBUFFORCE) on the kernel
	// path and loopback, and kept doubled, Linux's allowance for its
	// bookkeeping, on every path. A size set stops that buffer's
	// autotuning. Zero leaves the stack's own, autotuned: Linux's
	// defaults (tcp_wmem up to 4 MiB, tcp_rmem up to 32 MiB), which the
	// emulated path's stacks follow.
	SendBuffer, ReceiveBuffer int
	// SACKRecovery has the emulated path's TCP recover from loss by SACK
	// alone (RFC 6675), without RACK-TLP, the recovery it uses otherwise
	// and Linux's. gVisor's RACK stalls after a burst of losses in a
	// large window (a long fat link's slow start), and walks the whole
	// window on every ACK, so bulk runs use SACK recovery; for paced and
	// latency runs its time-based loss detection and tail loss probe
	// keep the tail close to Linux's (docs/kernel-path.md). Other paths
	// ignore it: their TCP is the kernel's.
	SACKRecovery bool
	// WatchSenders lets the emulated path's WatchSender follow its
	// client's TCP senders, through a probe gVisor calls with a copy of
	// the sender's state after every segment it receives, a cost only
	// bulk runs, which read it, should pay; WatchServerSenders the
	// server's, for bulk runs whose server half sends. Other paths watch
	// through TCP_INFO whatever they say.
	WatchSenders, WatchServerSenders bool
}

// Validate reports settings no path can take.
func (o Options) Validate() error {
	if o.SendBuffer < 0 || o.ReceiveBuffer < 0 {
		return fmt.Errorf("netpath: socket buffers of %d and %d bytes: want sizes of zero or more", o.SendBuffer, o.ReceiveBuffer)
	}
	if o.SendBuffer > MaxSocketBuffer || o.ReceiveBuffer > MaxSocketBuffer {
		return fmt.Errorf("netpath: socket buffers of %d and %d bytes: at most %d (Linux keeps them doubled in an int)", o.SendBuffer, o.ReceiveBuffer, MaxSocketBuffer)
	}
	return nil
}

// MaxSocketBuffer is the largest SendBuffer or ReceiveBuffer: Linux
// keeps twice the size in an int, and stops there (1 GiB - 1).
const MaxSocketBuffer = 1<<30 - 1

// DefaultCongestionControl is Reno on every path: the TCP that the Mathis
// et al. and Padhye et al. models describe, so a run can be held against
// them.
const DefaultCongestionControl = "reno"

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.CongestionControl == "" {
		o.CongestionControl = DefaultCongestionControl
	}
	return o
}
