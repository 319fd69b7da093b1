// Package udp holds netmatrix's UDP servers and clients: an echo server
// that reflects datagrams (RFC 862) and is safe to expose, a sink that
// reports each datagram's arrival, and the client side that drives them at
// a set pace or a target rate.
//
// Servers take an already-open net.PacketConn and clients a dial function,
// so they run unchanged over loopback, the emulated path and the kernel
// path. On the host's own sockets they move datagrams in batches
// (recvmmsg/sendmmsg) to keep up with fast links.
package udp
