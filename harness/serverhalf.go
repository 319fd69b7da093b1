package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/internal/tcplimit"
	"netmatrix/internal/wire"
)

// serverHost is where a local server half runs: a host's network, the
// address its servers listen on, and the path's tap where the path shows
// its packets.
type serverHost struct {
	net  netpath.Network
	host string
	tap  *tapMux // nil where no link shows the packets
	// senders follows the sender of a TCP conn of this host, for what
	// held a flow it sends back; nil where nothing can.
	senders netpath.SenderWatcher
}

// addr is host:0 on the server's host.
func (h *serverHost) addr() string { return net.JoinHostPort(h.host, "0") }

// LocalServer runs server halves in this process on n, listening on
// host: what a path of this machine does on its server host, and what
// `compare serve` does for a client on another host, so the two cannot
// measure apart.
func LocalServer(n netpath.Network, host string) half.Server {
	// Its sockets are the host's own, which TCP_INFO describes.
	return &serverHost{net: n, host: host, senders: netpath.KernelSockets{}}
}

// startFlow starts the server half of spec where p runs them (elsewhere
// where p says so, a remote path; else on p's server host) and returns
// the client's end of it; the caller stops the half (c.half.Stop).
func startFlow(ctx context.Context, p netpath.Path, taps *tapMux, spec half.Spec) (*clientEnd, error) {
	var servers half.Server
	senders, _ := p.(netpath.SenderWatcher)
	if hp, ok := p.(half.Provider); ok {
		servers = hp.ServerHalf()
	} else {
		servers = &serverHost{net: p.Server(), host: p.ServerHost(), tap: taps, senders: senders}
	}
	f, err := servers.Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start the server half: %w", err)
	}
	return &clientEnd{net: p.Client(), half: f, taps: taps, senders: senders}, nil
}

// flowSpec is the server half of a workload over a transport, in a
// direction, with cfg's settings.
func flowSpec(workload, transport, dir string, cfg *Config) half.Spec {
	return half.Spec{
		Workload: workload, Transport: transport, Direction: dir,
		Count: cfg.Count, Size: cfg.Size, Interval: cfg.Interval,
		Duration: cfg.Duration, Bytes: cfg.BulkBytes, Rate: cfg.BulkRate, DatagramSize: cfg.DatagramSize,
		Stall: cfg.Stall, Nagle: cfg.Nagle,
	}
}

// specConfig is the Config a server half sends with: the settings of
// spec, the rest defaults.
func specConfig(spec *half.Spec) *Config {
	cfg := Config{
		Count: spec.Count, Size: spec.Size, Interval: spec.Interval,
		Duration: spec.Duration, BulkBytes: spec.Bytes, BulkRate: spec.Rate, DatagramSize: spec.DatagramSize,
		Stall: spec.Stall, Nagle: spec.Nagle, sendCap: spec.Cap,
	}.Defaults()
	return &cfg
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
	switch {
	case spec.Direction == half.Down && (spec.Workload == catalog.Stream || spec.Workload == catalog.Bulk):
		f.send = newSending()
	case spec.Direction != "" && spec.Direction != half.Up:
		return nil, fmt.Errorf("%s runs up, not %q", spec.Workload, spec.Direction)
	default:
		f.recv = newReceiving(spec.Workload, spec.Count)
	}
	if err := tr.serve(ctx, h, &spec, f); err != nil {
		return nil, err
	}
	return f, nil
}

// receiving is what the receiving end of a flow keeps, the server half's
// (up) or the client's (down): the messages of a stream, the counts of a
// bulk transfer, and the byte ranges its transport heard, where it does.
type receiving struct {
	col   *streamCollector
	bulk  *bulkCounter
	heard func() []metrics.ByteArrival
	// spurious counts the sender's retransmissions of data that had
	// arrived already, where the path shows its packets.
	spurious func() int64
}

// newReceiving is the receiving end of workload; nil for the workloads
// whose server half receives nothing to report (echo, http).
func newReceiving(workload string, count int) *receiving {
	switch workload {
	case catalog.Stream:
		return &receiving{col: newStreamCollector(count)}
	case catalog.Bulk:
		return &receiving{bulk: &bulkCounter{}}
	}
	return nil
}

// onDatagram takes a stream's message or a bulk datagram.
func (r *receiving) onDatagram(msg []byte, arrived int64) {
	if r.col != nil {
		r.col.onMsg(msg, arrived)
	} else {
		r.bulk.onDatagram(msg, arrived)
	}
}

// unique counts the distinct messages or datagrams that arrived.
func (r *receiving) unique() int64 {
	if r.col != nil {
		return r.col.unique()
	}
	return r.bulk.snapshot().Unique
}

// arrived counts what arrived so far, distinct or not, intact or not.
func (r *receiving) arrived() int64 {
	if r.col != nil {
		return r.col.count()
	}
	b := r.bulk.snapshot()
	return b.Unique + b.Dups + b.Corrupt + b.Bytes
}

// wait waits as until says for what may still come.
func (r *receiving) wait(ctx context.Context, until half.Until) {
	if until.Sent > 0 {
		// Datagrams say nothing about what arrived: wait for stragglers
		// until everything is in or the receiver has been quiet for a
		// while. Duplicates are not arrivals: only each message's first
		// copy brings the count closer to what was sent.
		drain(ctx, r.unique, until.Sent, until.Quiet)
	}
}

// report fills in what r received.
func (r *receiving) report(rep *half.Report) {
	if r.col != nil {
		rep.Arrivals, rep.Corrupt = r.col.snapshot()
	}
	if r.bulk != nil {
		b := r.bulk.snapshot()
		rep.Bulk = &b
	}
	if r.heard != nil {
		rep.Heard = r.heard()
	}
	if r.spurious != nil {
		n := uint64(max(r.spurious(), 0))
		rep.Spurious = &n
	}
}

// sending is what a server half that sends keeps (down): one flow, to
// the first client that asks for it.
type sending struct {
	once sync.Once
	done chan struct{} // closed when the flow has ended
	// cutCtx ends when the run is cut short (cut): the flow stops.
	cutCtx           context.Context
	cut              context.CancelFunc
	sent             int64
	started, stopped int64
	err              error
	// stats are the sending socket's counters where its transport keeps
	// them apart from the server's (TCP_INFO).
	stats map[string]uint64
	// limits is what held a TCP bulk sender back, where the host could
	// follow it.
	limits *tcplimit.Times
}

func newSending() *sending {
	s := &sending{done: make(chan struct{})}
	s.cutCtx, s.cut = context.WithCancel(context.Background())
	return s
}

// errOneFlow refuses a second client: a server half sends one flow.
var errOneFlow = errors.New("this server half has already sent its flow")

// run sends the flow with send, unless it was sent already.
func (s *sending) run(ctx context.Context, send func(ctx context.Context) (int64, error)) error {
	ran := false
	s.once.Do(func() {
		ran = true
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(s.cutCtx, cancel)
		defer stop()
		s.started = wire.Now()
		s.sent, s.err = send(ctx)
		s.stopped = wire.Now()
		if ctx.Err() != nil && errors.Is(s.err, ctx.Err()) {
			// Stopped, not failed: whoever ended ctx (the run, cut
			// short) knows why.
			s.err = nil
		}
		close(s.done)
	})
	if !ran {
		return errOneFlow
	}
	return s.err
}

// report waits until the flow has ended and fills in what it sent.
func (s *sending) report(ctx context.Context, rep *half.Report) error {
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("the server half has not finished sending: %w", ctx.Err())
	}
	rep.Sent, rep.Started, rep.Stopped = s.sent, s.started, s.stopped
	if s.err != nil {
		rep.SendError = s.err.Error()
	}
	rep.Stats = s.stats
	rep.Limits = s.limits
	return nil
}

// localFlow is a server half running in this process: it receives a
// flow (recv) or sends one (send), or serves echo or http (neither).
type localFlow struct {
	addr  string
	stop  func()
	recv  *receiving
	send  *sending
	stats func() map[string]uint64 // the server's transport counters, where it keeps them
}

var _ half.Flow = (*localFlow)(nil)

func (f *localFlow) Addr() string { return f.addr }

// Fingerprint is empty: a QUIC server half here presents this process's
// identity, which its clients trust by default.
func (f *localFlow) Fingerprint() string { return "" }

// Bind does nothing: a path of this machine has no one else on it.
func (f *localFlow) Bind(context.Context, net.Conn) error { return nil }

func (f *localFlow) Report(ctx context.Context, until half.Until) (half.Report, error) {
	if ctx.Err() != nil {
		// Asked by a run cut short: what it has, at once.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cutGrace)
		defer cancel()
		until = half.Until{Cut: true}
	}
	var r half.Report
	if f.send != nil {
		if until.Cut {
			f.send.cut()
		}
		if err := f.send.report(ctx, &r); err != nil {
			return r, err
		}
	}
	if f.recv != nil {
		f.recv.wait(ctx, until)
		f.recv.report(&r)
	}
	// The counters of the socket a flow went out on, where the
	// transport keeps them per socket, else the server's own.
	if r.Stats == nil && f.stats != nil {
		r.Stats = f.stats()
	}
	return r, nil
}

func (f *localFlow) Stop() { f.stop() }

// sendingTimeout bounds the wait for a server half that sends: its
// flow's own length, then the time a stalled connection gets. A bulk
// transfer of fixed size has no length known in advance, and no bound
// (zero).
func sendingTimeout(workload string, cfg *Config) time.Duration {
	d := cfg.Stall + cfg.Timeout
	switch {
	case workload == catalog.Stream:
		return d + time.Duration(cfg.Count)*cfg.Interval
	case cfg.BulkBytes > 0:
		return 0
	}
	return d + cfg.Duration
}

// cutGrace bounds the report of a half asked by a run cut short: a
// sending half stops at the cut, so its report comes at once, and Ctrl-C
// ends a run within a second.
const cutGrace = 250 * time.Millisecond

// reportSent is the report of a server half that sends, once it is done,
// within sendingTimeout. Where the run is cut short meanwhile, it asks
// again with the run's ended context: that is a cut (half.Until), and
// the half says what it sent until then, without which a download's
// row would have nothing to count its arrivals against.
func reportSent(ctx context.Context, c *clientEnd, workload string, cfg *Config) (half.Report, error) {
	wctx := ctx
	if d := sendingTimeout(workload, cfg); d > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	rep, err := c.half.Report(wctx, half.Until{})
	if ctx.Err() != nil {
		rep, err = c.half.Report(ctx, half.Until{})
	}
	if err != nil {
		return rep, fmt.Errorf("%s: the server half's report: %w", workload, err)
	}
	if rep.SendError != "" {
		err = fmt.Errorf("%s: the server half's send: %s", workload, rep.SendError)
	}
	return rep, err
}
