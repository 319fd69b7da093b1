// Package quic holds netmatrix's QUIC servers and clients, over quic-go:
// an echo server, a sink that reports each arrival, and the client side,
// in three shapes that put QUIC beside TCP and UDP:
//
//   - OneStream: every message on one stream, length-prefixed (TCP's
//     shape, with its head-of-line blocking);
//   - StreamPerMessage: a stream for each message, so a lost packet holds
//     up only its own message;
//   - Datagrams: RFC 9221 unreliable datagrams (UDP's shape, with QUIC's
//     congestion control and encryption).
//
// Servers take an already-open net.PacketConn and clients one too, so they
// run unchanged over loopback, the emulated path and the kernel path
// (quic-go runs over any PacketConn through its Transport). TLS uses a
// self-signed ECDSA P-256 certificate made in memory (DefaultIdentity) and
// the ALPN "netmatrix"; 0-RTT is off, so every connection pays its full
// handshake, which Client.Handshake reports apart from the workload.
// Stats counts what quic-go did (packets sent, lost, retransmitted) from
// its qlog events.
//
//	pc, _ := udp.Listen(ctx, "127.0.0.1:0")
//	go (&quic.EchoServer{}).Serve(ctx, pc)
//	cpc, _ := udp.Listen(ctx, "127.0.0.1:0")
//	c, err := quic.DialEcho(ctx, cpc, pc.LocalAddr().String(), quic.Datagrams, nil)
//	...
//	c.WriteMsg(msg)
//	n, err := c.ReadMsg(reply)
//
// A server in another process is trusted by its certificate's
// fingerprint: PinnedClientTLS(id.Fingerprint()).
package quic
