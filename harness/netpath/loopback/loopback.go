package loopback

import (
	"context"
	"fmt"
	"net"

	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// Host is the host's own network stack. Both hosts of a loopback path
// are the same Host; it also serves anything that needs the host's
// sockets behind a Network (an echo client for an outside server, say).
// The zero Host leaves every socket as the host makes it.
type Host struct {
	// opts are the path's: of them only the TCP sockets' buffers
	// count (SendBuffer, ReceiveBuffer); the zero value leaves them to
	// the host.
	opts netpath.Options
}

var _ netpath.Network = Host{}

func (h Host) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: h.opts.SetSocketBuffers}
	return lc.Listen(ctx, network, addr)
}

func (Host) ListenPacket(ctx context.Context, network, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, network, addr)
}

func (h Host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: h.opts.SetSocketBuffers}
	return d.DialContext(ctx, network, addr)
}

// Path is a path on which both hosts are the loopback interface.
type Path struct {
	host                  Host
	netpath.KernelSockets // its senders, through TCP_INFO (netpath.SenderWatcher)
}

var (
	_ netpath.Path          = Path{}
	_ netpath.SenderWatcher = Path{}
)

// New returns a path over the host's loopback interface. Of opts it
// takes the socket buffers (SendBuffer, ReceiveBuffer); the congestion
// control stays the host's, which it does not change for one program.
func New(opts netpath.Options) (Path, error) {
	if err := opts.Validate(); err != nil {
		return Path{}, fmt.Errorf("loopback: %w", err)
	}
	return Path{host: Host{opts: opts}}, nil
}

func (p Path) Client() netpath.Network { return p.host }
func (p Path) Server() netpath.Network { return p.host }
func (Path) ServerHost() string        { return "127.0.0.1" }

// Stats reports nothing: loopback has no link of its own to count.
func (Path) Stats() (results.PathStats, bool) { return results.PathStats{}, false }
func (Path) Close() error                     { return nil }
