// Package tcpflow follows one TCP connection's data as a link delivers
// it: which byte ranges of the stream reached the receiving host, and
// when. That is what head-of-line delay is measured from
// (metrics.HeadOfLine): a segment that arrived is data the receiving TCP
// holds, in order or not (RFC 9293, section 3.10.7.4).
//
// Parse reads the IPv4 (RFC 791) and TCP (RFC 9293, section 3.1)
// headers of one packet. A Flow locks onto the first connection it sees
// opened toward a port (its SYN, which also gives the initial sequence
// number) and turns each later data segment of that connection into a
// ByteArrival, the offset counted from the first data byte and unwrapped
// past the 32-bit sequence space.
//
//	flow := tcpflow.New(serverPort)
//	relay.SetTap(flow.Tap) // before the client dials, to see the SYN
//	// ... run the stream ...
//	msgs, err := metrics.HeadOfLine(flow.Arrivals(), framing, sent)
//
// A Flow also keeps the set of byte ranges that have arrived, and counts
// the data segments that brought nothing new: the sender's spurious
// retransmissions (data the link had delivered), apart from the copies
// the link made itself. NewCounter makes a Flow that only counts, for a
// bulk transfer's tens of thousands of segments a second:
//
//	flow := tcpflow.NewCounter(serverPort)
//	relay.SetTap(flow.Tap)
//	// ... run the transfer ...
//	spurious := flow.Counts().Spurious()
package tcpflow
