package loopback

import (
	"context"
	"net"

	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// Host is the host's own network stack. Both hosts of a loopback path
// are the same Host; it also serves anything that needs the host's
// sockets behind a Network (an echo client for an outside server, say).
type Host struct{}

var _ netpath.Network = Host{}

func (Host) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, addr)
}

func (Host) ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, network, addr)
}

func (Host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Path is a path on which both hosts are the loopback interface.
type Path struct{}

var _ netpath.Path = Path{}

// New returns a path over the host's loopback interface.
func New() Path { return Path{} }

func (Path) Client() netpath.Network { return Host{} }
func (Path) Server() netpath.Network { return Host{} }
func (Path) ServerHost() string      { return "127.0.0.1" }

// Stats reports nothing: loopback has no link of its own to count.
func (Path) Stats() (results.PathStats, bool) { return results.PathStats{}, false }
func (Path) Close() error                     { return nil }
