// Package catalog names what netmatrix compares: the transports (the rows
// of every table) and the workloads (the tables), and says what each one
// is: whether a transport is reliable and ordered, whether it carries a
// byte stream or messages, which workloads it runs; what a workload's
// latency measures, its title, and when it runs. The engine, the progress
// estimate, the explanations under the tables and the command line's help
// all read it here, so adding a transport or a workload starts with one
// entry in this package.
//
//	names, err := catalog.ParseTransports("tcp,quic") // tcp, quic, quic-permsg
//	if t, _ := catalog.LookupTransport("udp"); !t.Reliable { ... }
//
// It imports nothing of netmatrix: the record's renderers and the engine
// both depend on it.
package catalog
