//go:build !linux

package harness

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"

	"netmatrix/harness/link"
)

// errKernelLinux is why there is no kernel path here.
var errKernelLinux = errors.New("the kernel path needs Linux (network namespaces and TUN devices)")

// KernelPath is the kernel's own TCP and UDP over the impaired link; it
// exists on Linux only.
type KernelPath struct{ Path }

// KernelHost is one host of a kernel path; it exists on Linux only.
type KernelHost struct{ Network }

// KernelSupported reports that this system has no kernel path.
func KernelSupported() error { return errKernelLinux }

// NewKernelPath fails: the kernel path needs Linux.
func NewKernelPath(context.Context, link.Spec, ...KernelOption) (*KernelPath, error) {
	return nil, errKernelLinux
}

func (*KernelPath) Hosts() (client, server *KernelHost) { return nil, nil }
func (*KernelPath) Spec() link.Spec                     { return link.Spec{} }
func (*KernelHost) Addr() netip.Addr                    { return netip.Addr{} }
func (*KernelHost) Do(func() error) error               { return errKernelLinux }
func (*KernelHost) Start(*exec.Cmd) error               { return errKernelLinux }
func (*KernelHost) Listening() (int, error)             { return 0, errKernelLinux }
func (*KernelHost) DefaultCongestionControl() (string, error) {
	return "", errKernelLinux
}

// watchTCP has no kernel to ask here.
func watchTCP(net.Conn) (info func() map[string]uint64, release func()) {
	return func() map[string]uint64 { return nil }, func() {}
}
