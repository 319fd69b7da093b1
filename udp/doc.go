// Package udp holds netmatrix's UDP servers and clients: an echo server
// that reflects datagrams (RFC 862) and is safe to expose, a sink that
// reports each datagram's arrival, and the client side that drives them at
// a set pace or a target rate.
//
// Servers take an already-open net.PacketConn and clients a dial function,
// so they run unchanged over loopback, the emulated path and the kernel
// path. On the host's own sockets (Linux) they move datagrams in batches
// with recvmmsg and sendmmsg on headers allocated once; bulk sends hand
// the kernel runs of datagrams to cut (GSO, UDP_SEGMENT) and the sink
// takes them back coalesced (GRO, UDP_GRO), still reporting each datagram
// on its own; and a read busy-polls briefly before it sleeps, so a
// ping-pong exchange pays no wake-up. Anything else gets one datagram per
// call through the PacketConn's own methods.
package udp
