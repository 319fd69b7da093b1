// Package remote is the path to another host: `compare serve` there, this
// host's own sockets here, the real network between. The server halves of
// every run start on the other host over an authenticated control
// channel and report what they observed through the same half.Flow the
// paths of one machine use, so a remote run is measured as a local one
// is.
//
// The server side (Server) and the client side (Session, and its Path)
// are both here, with what they share:
//
//   - the key (key.go): TLS 1.3 with a certificate each end derives from
//     the shared key, so a wrong key fails the handshake at once;
//
//   - the control messages (wire.go): typed, length-bounded frames of
//     strict JSON, each read under a deadline;
//
//   - the gate (gate.go): a session token ahead of every data flow, and a
//     return-routability check before the server reads or sends a
//     datagram, so `compare serve` cannot be aimed at a third party;
//
//   - the clock (session.go): NTP-style exchanges over the control
//     channel give the other host's clock offset and its bound, for
//     one-way delay across two clocks;
//
//   - the shared port (sniff.go): the control channel on the echo
//     server's TCP port, told apart by a TLS ClientHello.
//
//     s, err := remote.Dial(ctx, "server.example:7007", key)
//     defer s.Close()
//     sc := harness.Scenario{Record: results.Scenario{Name: "remote server.example", Link: results.LinkRemote},
//     NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return s.Path(), nil }}
package remote
