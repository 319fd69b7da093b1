package kernel

import (
	"errors"
	"io"
	"net/netip"
)

// The kernel path's hosts. Every path has namespaces of its own, so all
// of them can use the same two addresses: the same numbers in every
// record, and no clash with whatever the machine's own networks are.
var (
	clientAddr = netip.MustParseAddr("10.77.0.1")
	serverAddr = netip.MustParseAddr("10.77.0.2")
)

// ClientEnv and ServerEnv name the environment variables that tell a
// program run on a kernel path's host (Path.Run) the two hosts'
// addresses.
const (
	ClientEnv = "NMX_CLIENT"
	ServerEnv = "NMX_SERVER"
)

// Programs are commands to run over a path in place of the workloads,
// each a /bin/sh script: a client of one's own, say, against a server of
// one's own, behind the impaired link.
type Programs struct {
	// Client runs in the client's host; its end ends the run.
	Client string
	// Server, if set, runs in the server's host first; Client starts
	// once it listens, or after a few seconds (a server that only
	// connects out is as ready as it gets).
	Server string
	// Env is added to both programs' environment, after this process's
	// own and the hosts' addresses (ClientEnv, ServerEnv).
	Env []string
	// Stdin, Stdout and Stderr are the client's; the server writes to
	// Stderr. Nil means none.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// errPrivileges says what the kernel path needs, in one line a user can
// act on.
var errPrivileges = errors.New("the kernel path needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to make network namespaces and TUN devices: run as root or with sudo")
