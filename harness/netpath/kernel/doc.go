// Package kernel is Linux's own TCP and UDP over the impaired link: two
// network namespaces, the client at 10.77.0.1 and the server at
// 10.77.0.2, each with a TUN device whose packets this process reads and
// writes, joined by the same link.Relay as the emulated path (the design
// of Mahimahi; no netem needed). Path.Run runs programs of one's own on
// the two hosts, over the link.
//
// It takes root, or root of a user namespace: a process that is not root
// runs the path in a child that StartUserns starts as root of a user
// namespace of its own (userns_linux.go).
//
//	if err := kernel.Supported(); err != nil { ... } // root (of a user namespace), TUN
//	p, err := kernel.New(ctx, spec, netpath.Options{CongestionControl: "cubic"})
//	code, err := p.Run(ctx, kernel.Programs{Server: "iperf3 -s -1", Client: "iperf3 -c $NMX_SERVER"})
package kernel
