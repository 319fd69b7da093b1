//go:build !linux

package kernel

import (
	"context"
	"errors"
	"net/netip"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
)

// errNotLinux is why there is no kernel path here.
var errNotLinux = errors.New("the kernel path needs Linux (network namespaces and TUN devices)")

// Path is the kernel's own TCP and UDP over the impaired link; it
// exists on Linux only.
type Path struct{ netpath.Path }

// Host is one host of a kernel path; it exists on Linux only.
type Host struct{ netpath.Network }

// Supported reports that this system has no kernel path.
func Supported() error { return errNotLinux }

// New fails: the kernel path needs Linux.
func New(context.Context, link.Spec, netpath.Options) (*Path, error) {
	return nil, errNotLinux
}

func (*Path) Hosts() (client, server *Host)              { return nil, nil }
func (*Path) Run(context.Context, Programs) (int, error) { return 0, errNotLinux }
func (*Host) Addr() netip.Addr                           { return netip.Addr{} }
func (*Host) Do(func() error) error                      { return errNotLinux }
