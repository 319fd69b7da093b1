// Package harness builds the path between a client and a server, runs the
// workloads over it and turns what they saw into results.
//
// A path is two hosts, each seen through a Network. The loopback path is
// the host's own stack; the emulated path is two userspace TCP/IP stacks
// joined by an impaired link (package link).
package harness
