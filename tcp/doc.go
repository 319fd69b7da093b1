// Package tcp holds netmatrix's TCP servers and clients: an RFC 862 echo
// server, a sink that receives length-prefixed messages or a bulk byte
// stream and reports each arrival, and the client side that drives them.
//
// Servers take an already-open net.Listener and clients a dial function,
// so they run unchanged over loopback, the emulated path and the kernel
// path. On the host's own sockets (Linux) reads busy-poll briefly before
// they sleep (see EchoServer.BusyPoll), so a request/reply exchange pays
// no wake-up, and bulk transfers move half a megabyte per system call.
//
// The servers are safe to expose: a connection that makes no progress
// for IdleTimeout (a minute by default) is closed, a connection's buffer
// grows with what arrives instead of starting at its largest, and running
// out of file descriptors is waited out rather than fatal.
package tcp
