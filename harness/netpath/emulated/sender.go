package emulated

import (
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
)

// senderProbe follows the TCP senders of one host's stack that a
// watch asked for (Path.WatchSender). gVisor has no clocks of what held
// a sender back; its TCP probe (tcp.NewProtocolProbe) hands over a copy
// of an endpoint's state after every segment the endpoint receives (for
// a sender, every ACK), once the stack has sent what the ACK allowed,
// and the time to the next segment is charged to the state the last one
// left (tcplimit.Clock).
type senderProbe struct {
	mu sync.Mutex // serialises the writers of watches
	// watches are the watched senders by local port: a map never
	// changed once stored, replaced whole when a watch starts or stops,
	// so the probe reads it without a lock.
	watches atomic.Pointer[map[uint16]*senderWatch]
}

func newSenderProbe() *senderProbe {
	p := &senderProbe{}
	p.watches.Store(&map[uint16]*senderWatch{})
	return p
}

// probe is a tcp.TCPProbeFunc. It runs on the endpoint's goroutine with
// the endpoint's lock held, for every segment of every connection of
// the stack, so it does little for those no one watches: one load and
// a lookup in a map of a watch or two.
func (p *senderProbe) probe(s *tcp.TCPEndpointState) {
	if w := (*p.watches.Load())[s.ID.LocalPort]; w != nil {
		w.observe(s.SegTime, lookOf(s))
	}
}

// watch has the probe follow the sender on port with w.
func (p *senderProbe) watch(port uint16, w *senderWatch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.watches.Load()
	next := make(map[uint16]*senderWatch, len(old)+1)
	maps.Copy(next, old)
	next[port] = w
	p.watches.Store(&next)
}

// unwatch stops following the sender on port, if w still follows it.
func (p *senderProbe) unwatch(port uint16, w *senderWatch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.watches.Load()
	if old[port] != w {
		return
	}
	next := maps.Clone(old)
	delete(next, port)
	p.watches.Store(&next)
}

// lookOf reads a gVisor sender's state as a tcplimit.Look.
func lookOf(s *tcp.TCPEndpointState) tcplimit.Look {
	snd := &s.Sender
	inFlight := int(snd.SndUna.Size(snd.SndNxt))
	// In recovery Outstanding is RFC 6675's pipe (sender.SetPipe);
	// outside it, it still counts the segments SACKed.
	onPath := snd.Outstanding
	if !snd.FastRecovery.Active {
		onPath -= snd.SackedOut
	}
	return tcplimit.Look{
		InFlight: inFlight,
		// The send buffer holds what is in flight and what waits.
		Unsent:     s.SndBufState.SndBufUsed - inFlight,
		MSS:        snd.MaxPayloadSize,
		PeerWindow: int(snd.SndWnd),
		// gVisor's sendData sends while Outstanding < SndCwnd.
		Pipe:       snd.Outstanding,
		Cwnd:       snd.SndCwnd,
		OnPath:     max(min(inFlight, onPath*snd.MaxPayloadSize), 0),
		RTT:        snd.RTTState.SRTT,
		Recovering: snd.FastRecovery.Active,
		BufUsed:    s.SndBufState.SndBufUsed,
		BufSize:    s.SndBufState.SndBufSize,
		WakeAt:     0.5, // Endpoint.updateSndBufferUsage
	}
}

// senderWatch is one watched sender's clock.
type senderWatch struct {
	probe *senderProbe
	port  uint16
	clock tcpip.Clock

	mu    sync.Mutex
	limit tcplimit.Clock // stopped by Stop
}

var _ netpath.SenderWatch = (*senderWatch)(nil)

func (w *senderWatch) observe(at tcpip.MonotonicTime, l tcplimit.Look) {
	w.mu.Lock()
	w.limit.Observe(since(at), l)
	w.mu.Unlock()
}

// since is t on the stack's monotonic clock as a duration from its zero.
func since(t tcpip.MonotonicTime) time.Duration { return t.Sub(tcpip.MonotonicTime{}) }

// Stop ends the watch: the last state is charged up to now.
func (w *senderWatch) Stop() tcplimit.Times {
	w.probe.unwatch(w.port, w)
	w.mu.Lock()
	defer w.mu.Unlock()
	// A stopped clock passes over a later Stop and every look, so each
	// call returns the same.
	w.limit.Stop(since(w.clock.NowMonotonic()))
	return w.limit.Times()
}

// WatchSender follows the sender of c, a TCP conn of the path's client
// or server, through its stack's TCP probe (netpath.SenderWatcher).
func (p *Path) WatchSender(c net.Conn) (netpath.SenderWatch, bool) {
	tc, ok := c.(*TCPConn)
	if !ok {
		return nil, false
	}
	local, err := tc.ep.GetLocalAddress()
	if err != nil {
		return nil, false
	}
	h := p.client
	if local.Addr == serverAddr {
		h = p.server
	}
	if h.senders == nil {
		return nil, false
	}
	w := &senderWatch{probe: h.senders, port: local.Port, clock: h.stack.Clock()}
	h.senders.watch(local.Port, w)
	return w, true
}

// tcpProtocol is the TCP of a stack: with the probe on a host whose
// senders the run asked to watch.
func tcpProtocol(probe *senderProbe) stack.TransportProtocolFactory {
	if probe == nil {
		return tcp.NewProtocol
	}
	return tcp.NewProtocolProbe(probe.probe)
}
