package remote

import (
	"context"
	"errors"
	"net"

	"netmatrix/harness/half"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/results"
)

// Path is a session seen as a path: the client is this host, its own
// sockets; the server halves run on the other host (half.Provider), so
// the path has no server Network here. Every run of a session shares it;
// closing a Path leaves the session open (Session.Close ends it).
type Path struct {
	s *Session
	// This host's sockets are the kernel's: an upload's sender is
	// followed here through TCP_INFO; a download's, at the other host,
	// is followed there and reported with the flow.
	netpath.KernelSockets
}

var (
	_ netpath.Path          = Path{}
	_ half.Provider         = Path{}
	_ netpath.SenderWatcher = Path{}
)

// Path is the session as a path for the engine.
func (s *Session) Path() Path { return Path{s: s} }

func (p Path) Client() netpath.Network { return loopback.Host{} }

// Server is a Network that refuses everything: the server's host is the
// other one, reached only through ServerHalf.
func (p Path) Server() netpath.Network { return elsewhere{} }

// ServerHost is the server's host, as the client dials it.
func (p Path) ServerHost() string { return p.s.host }

// Stats reports nothing: a real network shows no one its packets.
func (p Path) Stats() (results.PathStats, bool) { return results.PathStats{}, false }

func (p Path) Close() error { return nil }

func (p Path) ServerHalf() half.Server { return p.s }

// elsewhere is the server host's Network, seen from the client host.
type elsewhere struct{}

var errElsewhere = errors.New("remote: the server's host is the other one; its servers start over the control channel")

func (elsewhere) Listen(context.Context, string, string) (net.Listener, error) {
	return nil, errElsewhere
}

func (elsewhere) ListenPacket(context.Context, string, string) (net.PacketConn, error) {
	return nil, errElsewhere
}

func (elsewhere) Dial(context.Context, string, string) (net.Conn, error) { return nil, errElsewhere }
