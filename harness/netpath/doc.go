// Package netpath is what every kind of path between a client and a
// server has in common: a Network per host, through which the transports
// listen and dial, and a Path that joins two hosts and reports what its
// link did. The kinds are its sub-packages, alike in shape:
//
//   - loopback: the host's own stack, no impairment; the baseline.
//   - emulated: two userspace TCP/IP stacks (gVisor's netstack) in this
//     process, joined by the impaired link of package link. No root.
//   - kernel: two Linux network namespaces, Linux's own TCP and UDP,
//     joined through TUN devices by the same link. Root, or root of a
//     user namespace (kernel.StartUserns).
//   - remote: `compare serve` on another host over the real network; its
//     server halves run there (half.Provider), started over an
//     authenticated control channel (remote.Dial).
//
// Each offers New(ctx, spec, Options) (loopback needs neither), and the
// test helpers of package pathtest check any of them the same way.
package netpath
