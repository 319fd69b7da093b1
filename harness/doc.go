// Package harness builds the path between a client and a server, runs the
// workloads over it and turns what they saw into results.
//
// A path is two hosts, each seen through a Network. The loopback path is
// the host's own stack; the emulated path is two userspace TCP/IP stacks
// (gVisor's netstack) joined by an impaired link (package link); the
// kernel path (Linux, root) is two network namespaces whose own kernel
// stacks are joined through TUN devices by the same link.
//
//	p, err := harness.NewEmulatedPath(ctx, link.Symmetric(link.Config{Loss: 0.02, Delay: 20 * time.Millisecond}, 1))
//	recs, err := harness.Run(ctx, []harness.Scenario{{NewPath: ...}}, harness.Config{}, nil)
package harness
