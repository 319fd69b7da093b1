package harness

import (
	"context"
	"net"

	"netmatrix/harness/link"
)

// A Network is one host's view of the path: what a transport needs to
// listen and dial. Every kind of path (loopback, emulated, kernel) gives
// one Network per host, so the transport packages run unchanged over all.
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
	// Stats reports what the path did to packets so far. A path with no
	// link of its own (loopback) reports zeros.
	Stats() PathStats
	// Close stops the path and everything it started.
	Close() error
}

// PathStats is what the path and the stacks at its ends did, next to what
// the application saw.
type PathStats struct {
	Up   link.Counters // client to server
	Down link.Counters // server to client
	// TCPRetransmits counts segments retransmitted by both hosts' TCP.
	TCPRetransmits uint64
	// StackDrops counts packets a host's stack dropped itself (a full
	// receive buffer, say), apart from what the link dropped.
	StackDrops uint64
	// Valid is false where the path cannot see its packets (loopback).
	Valid bool
}
