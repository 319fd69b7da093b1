package harness

import (
	"context"
	"net"
)

// Loopback is the host's own network stack on the loopback interface: no
// impairment, the baseline, and the path to compare raw speed with other
// tools. Both hosts of a loopback path are the same Loopback.
type Loopback struct{}

var _ Network = Loopback{}

func (Loopback) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, addr)
}

func (Loopback) ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, network, addr)
}

func (Loopback) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// loopbackPath is a Path on which both hosts are the loopback interface.
type loopbackPath struct{}

// NewLoopbackPath returns a path over the host's loopback interface.
func NewLoopbackPath() Path { return loopbackPath{} }

func (loopbackPath) Client() Network    { return Loopback{} }
func (loopbackPath) Server() Network    { return Loopback{} }
func (loopbackPath) ServerHost() string { return "127.0.0.1" }
func (loopbackPath) Stats() PathStats   { return PathStats{} }
func (loopbackPath) Close() error       { return nil }
