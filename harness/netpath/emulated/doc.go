// Package emulated is the default path: two userspace TCP/IP stacks
// (gVisor's netstack) in this process, the client at 10.0.0.1 and the
// server at 10.0.0.2, joined by a link.Relay that gives every IP packet
// its fate. Real TCP (SACK, RACK, Reno or CUBIC) and UDP run on the
// stacks, so a lost packet is lost beneath TCP and its own recovery
// reacts; QUIC runs over their UDP. It needs no privileges and runs on
// any system Go does.
//
//	p, err := emulated.New(ctx, link.Symmetric(link.Config{Loss: 0.02, Delay: 20 * time.Millisecond}, 1), netpath.Options{})
//	ln, err := p.Server().Listen(ctx, "tcp", "10.0.0.2:7")
//	c, err := p.Client().Dial(ctx, "tcp", "10.0.0.2:7")
package emulated
