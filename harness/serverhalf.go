package harness

import (
	"context"
	"fmt"
	"net"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
)

// serverHost is where a local server half runs: a host's network, the
// address its servers listen on, and the path's tap where the path shows
// its packets.
type serverHost struct {
	net  netpath.Network
	host string
	tap  netpath.Tapper // nil where no link shows the packets
}

// addr is host:0 on the server's host.
func (h *serverHost) addr() string { return net.JoinHostPort(h.host, "0") }

// LocalServer runs server halves in this process on n, listening on
// host: what a path of this machine does on its server host, and what
// `compare serve` does for a client on another host, so the two cannot
// measure apart.
func LocalServer(n netpath.Network, host string) half.Server {
	return &serverHost{net: n, host: host}
}

// serverHalf is where p's server halves run: elsewhere where p says so
// (a remote path), else on p's server host.
func serverHalf(p netpath.Path) half.Server {
	if hp, ok := p.(half.Provider); ok {
		return hp.ServerHalf()
	}
	tap, _ := p.(netpath.Tapper)
	return &serverHost{net: p.Server(), host: p.ServerHost(), tap: tap}
}

// startFlow starts the server half of spec on p and returns the client's
// end of it; the caller stops the half (c.half.Stop).
func startFlow(ctx context.Context, p netpath.Path, spec half.Spec) (*clientEnd, error) {
	f, err := serverHalf(p).Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start the server half: %w", err)
	}
	senders, _ := p.(netpath.SenderWatcher)
	return &clientEnd{net: p.Client(), half: f, senders: senders}, nil
}

// Start runs the server half of spec on h.
func (h *serverHost) Start(ctx context.Context, spec half.Spec) (half.Flow, error) {
	tr, ok := transports[spec.Transport]
	if !ok {
		return nil, fmt.Errorf("unknown transport %q", spec.Transport)
	}
	if !catalog.Runs(spec.Transport, spec.Workload) {
		return nil, fmt.Errorf("%s does not run %s", spec.Transport, spec.Workload)
	}
	f := &localFlow{}
	switch spec.Workload {
	case catalog.Stream:
		f.col = newStreamCollector(spec.Count)
		f.unique = f.col.unique
	case catalog.Bulk:
		f.bulk = &bulkCounter{}
		f.unique = func() int64 { return f.bulk.snapshot().Unique }
	}
	if err := tr.serve(ctx, h, &spec, f); err != nil {
		return nil, err
	}
	return f, nil
}

// localFlow is a server half running in this process.
type localFlow struct {
	addr string
	stop func()
	// col and bulk collect what a stream and a bulk flow deliver;
	// unique counts their distinct arrivals, for Report's wait.
	col    *streamCollector
	bulk   *bulkCounter
	unique func() int64
	// heard and stats are what the server's transport reports, where it
	// does: the byte ranges of an ordered stream (for head-of-line delay)
	// and its own counters.
	heard func() []metrics.ByteArrival
	stats func() map[string]uint64
	// spurious counts the client's retransmissions of data this end had
	// been delivered already, where the path shows its packets.
	spurious func() int64
}

var _ half.Flow = (*localFlow)(nil)

func (f *localFlow) Addr() string { return f.addr }

// Fingerprint is empty: a QUIC server half here presents this process's
// identity, which its clients trust by default.
func (f *localFlow) Fingerprint() string { return "" }

// Bind does nothing: a path of this machine has no one else on it.
func (f *localFlow) Bind(context.Context, net.Conn) error { return nil }

func (f *localFlow) Report(ctx context.Context, until half.Until) (half.Report, error) {
	if until.Sent > 0 && f.unique != nil {
		// Datagrams say nothing about what arrived: wait for stragglers
		// until everything is in or the sink has been quiet for a while.
		// Duplicates are not arrivals: only each message's first copy
		// brings the count closer to what was sent.
		drain(ctx, f.unique, until.Sent, until.Quiet)
	}
	var r half.Report
	if f.col != nil {
		r.Arrivals, r.Corrupt = f.col.snapshot()
	}
	if f.bulk != nil {
		b := f.bulk.snapshot()
		r.Bulk = &b
	}
	if f.heard != nil {
		r.Heard = f.heard()
	}
	if f.spurious != nil {
		n := uint64(max(f.spurious(), 0))
		r.Spurious = &n
	}
	if f.stats != nil {
		r.Stats = f.stats()
	}
	return r, nil
}

func (f *localFlow) Stop() { f.stop() }
