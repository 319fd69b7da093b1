// Package link models an impaired network link: what happens to each IP
// packet between two hosts (loss, delay and jitter, reordering,
// duplication, a rate limit with a finite queue, MTU), per direction, with
// every random choice drawn from one seeded source.
//
// The model is a chain of small effects, one type per impairment
// (MTU, Bernoulli, GilbertElliott, RateLimit, Reorder, DelayLine,
// Duplicate), each implementing Effect. A Config describes one direction
// and builds its chain; a Spec holds both directions and the seed. A
// Model decides a packet's Fate from its size and arrival time alone, so
// it can be tested over millions of packets without a network.
//
// A Relay applies a Spec between two Endpoints, holding packets in a
// time-sorted queue per direction and counting what it did (Counters).
// It knows nothing of the packets' contents: the gVisor netstack path in
// package harness plugs its NICs in as endpoints, and a TUN device can do
// the same through Source and Relay.Pump. A Tap (Relay.SetTap) sees each
// packet as it is delivered, and reads it where the packet's type shows
// its bytes (Head); package tcpflow turns what it sees of a TCP
// connection into the byte ranges head-of-line delay is measured from.
//
//	spec, err := link.Profile("lossy") // or a Spec built from flags:
//	spec.Both(func(c *link.Config) { c.Loss, _ = link.ParseShare("2%") })
//	r, err := link.NewRelay(ctx, spec, clientEndpoint, serverEndpoint)
//	r.Send(link.Up, packet) // from the client's side
//	fmt.Println(r.Counters(link.Up).Lost)
package link
