package harness

import (
	"errors"
	"net/netip"
)

// The kernel path's hosts. Every path has namespaces of its own, so all
// of them can use the same two addresses: the same numbers in every
// record, and no clash with whatever the machine's own networks are.
var (
	kernelClientAddr = netip.MustParseAddr("10.77.0.1")
	kernelServerAddr = netip.MustParseAddr("10.77.0.2")
)

// KernelClientEnv and KernelServerEnv name the environment variables
// that tell a command started on a kernel path's host (KernelHost.Start)
// the two hosts' addresses.
const (
	KernelClientEnv = "NMX_CLIENT"
	KernelServerEnv = "NMX_SERVER"
)

// A KernelOption changes how NewKernelPath builds the hosts.
type KernelOption func(*kernelConfig)

type kernelConfig struct {
	congestion string
}

// KernelCongestionControl picks the TCP congestion control of every
// socket the path's hosts open (TCP_CONGESTION, per socket: the host's
// sysctls are left alone) and the default of the namespaces, for
// programs started in them. Any algorithm the kernel has ("reno",
// "cubic", "bbr" where built) will do; "" leaves the kernel's own
// default, the host's. The default is "reno", as on the emulated path and
// in the Mathis et al. model.
func KernelCongestionControl(name string) KernelOption {
	return func(c *kernelConfig) { c.congestion = name }
}

// errKernelPrivileges says what the kernel path needs, in one line a user
// can act on.
var errKernelPrivileges = errors.New("the kernel path needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to make network namespaces and TUN devices: run as root or with sudo")
