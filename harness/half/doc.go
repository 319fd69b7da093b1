// Package half is a workload's server half, seen from the engine: what
// it is asked to run (Spec), where the client reaches it (Flow), and what
// it observed (Report).
//
// Every run has a client and a server half. On the paths of one
// machine (loopback, emulated, kernel) the server half runs in this
// process on the path's server host; on a remote path it runs in
// `compare serve` on the other host, started and read over the control
// channel. Both sides hand the engine the same Report through the same
// interface, and `compare serve` runs the very code the local half does,
// so a figure cannot be computed one way here and another way there.
//
//	flow, err := servers.Start(ctx, half.Spec{Workload: "stream", Transport: "udp", Count: 150})
//	defer flow.Stop()
//	// ... the client dials flow.Addr(), binding each socket with flow.Bind
//	rep, err := flow.Report(ctx, half.Until{Sent: 150, Quiet: time.Second})
//
// The types are plain data with JSON tags: the remote path sends them as
// they are.
package half
