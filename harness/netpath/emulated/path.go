package emulated

import (
	"context"
	"fmt"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/results"
)

// Path is the default path: two gVisor netstack hosts in this
// process, the client at 10.0.0.1 and the server at 10.0.0.2, joined by a
// link.Relay that gives every IP packet its fate. Real TCP (SACK, RACK,
// Reno or CUBIC) and UDP run on the stacks, so a lost packet is lost
// beneath TCP and its own recovery reacts.
type Path struct {
	relay  *link.Relay
	client *host
	server *host

	unwatch   func() bool // stops closing the path when New's ctx ends
	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

var (
	_ netpath.Path          = (*Path)(nil)
	_ netpath.Tapper        = (*Path)(nil)
	_ netpath.SenderWatcher = (*Path)(nil)
)

// New builds the two hosts and the link between them and starts the
// relay. The path stops when ctx ends or Close is called.
//
// Its TCP is Reno unless opts say otherwise. Under heavy loss either
// congestion control can sit out seconds: when the server's first SYN-ACK
// is lost, the pinned gVisor's retransmitted one echoes the first SYN's
// timestamp, so the client's first round-trip sample is the whole dial
// and its retransmission timeout starts at seconds (see
// TestHandshakeLossPoisonsRTT and docs/fidelity.md). Linux's TCP, on the
// kernel path, does not.
func New(ctx context.Context, spec link.Spec, opts netpath.Options) (*Path, error) {
	opts = opts.WithDefaults()
	if opts.CongestionControl != "reno" && opts.CongestionControl != "cubic" {
		return nil, fmt.Errorf("emulated: congestion control %q: want reno or cubic", opts.CongestionControl)
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("emulated: emulated path: %w", err)
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("emulated: %w", err)
	}
	// Each host's MTU is that of the direction it sends on.
	up, down := spec.Up.WithDefaults(), spec.Down.WithDefaults()
	cnic := &nic{mtu: uint32(up.MTU), out: link.Up}
	snic := &nic{mtu: uint32(down.MTU), out: link.Down}
	relay, err := link.NewRelay(ctx, spec, cnic, snic)
	if err != nil {
		return nil, fmt.Errorf("emulated: emulated path: %w", err)
	}
	cnic.relay, snic.relay = relay, relay
	p := &Path{relay: relay, done: make(chan struct{})}
	// The hosts' TCP senders can be watched (WatchSender) when asked:
	// the client's, which send the uploads, and the server's, which
	// send a download.
	var clientSenders, serverSenders *senderProbe
	if opts.WatchSenders {
		clientSenders = newSenderProbe()
	}
	if opts.WatchServerSenders {
		serverSenders = newSenderProbe()
	}
	cs, err := newStack(clientAddr, cnic, &opts, clientSenders)
	if err != nil {
		relay.Close()
		return nil, err
	}
	ss, err := newStack(serverAddr, snic, &opts, serverSenders)
	if err != nil {
		cs.Destroy()
		relay.Close()
		return nil, err
	}
	p.client = newHost(cs, clientAddr, p.done, &opts, clientSenders)
	p.server = newHost(ss, serverAddr, p.done, &opts, serverSenders)
	p.unwatch = context.AfterFunc(ctx, p.close)
	return p, nil
}

func (p *Path) Client() netpath.Network { return p.client }
func (p *Path) Server() netpath.Network { return p.server }
func (p *Path) ServerHost() string      { return serverAddr.String() }

// SetTap shows the tap every packet the path's link delivers from now on
// (netpath.Tapper).
func (p *Path) SetTap(t link.Tap) { p.relay.SetTap(t) }

// Stats reports the link's counters per direction and what the two
// stacks did: TCP segments they retransmitted, and packets they dropped
// themselves (a full socket receive buffer, a full accept queue), which
// the link counters do not include.
func (p *Path) Stats() (results.PathStats, bool) {
	st := netpath.RelayStats(p.relay)
	for _, h := range []*host{p.client, p.server} {
		s := h.stack.Stats()
		st.TCPRetransmits += s.TCP.Retransmits.Value()
		st.StackDrops += s.DroppedPackets.Value() + s.UDP.ReceiveBufferErrors.Value() +
			s.NICs.TxPacketsDroppedNoBufferSpace.Value()
	}
	return st, true
}

// Close stops the path: every connection and listener on both hosts, the
// stacks' goroutines and the relay's. It waits for them to end.
func (p *Path) Close() error {
	p.unwatch()
	p.close()
	return nil
}

// close is Close, less letting go of New's ctx; it is what that ctx's
// end runs, so it does not read unwatch, which New may still be setting.
func (p *Path) close() {
	p.closeOnce.Do(func() {
		close(p.done)
		stacks := []*stack.Stack{p.client.stack, p.server.stack}
		for _, s := range stacks {
			s.Close()
		}
		p.relay.Close()
		for _, s := range stacks {
			s.Wait()
		}
	})
}
