package netpath

import (
	"context"
	"net"

	"netmatrix/harness/link"
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

// Options are the settings every kind of path takes, each with one name
// whatever the path. The zero value gives every path its defaults.
type Options struct {
	// CongestionControl is the TCP congestion control of the hosts'
	// sockets: "reno" or "cubic" on every path; the kernel path takes
	// any algorithm its kernel has ("bbr" where built). Empty means
	// DefaultCongestionControl.
	CongestionControl string
}

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
