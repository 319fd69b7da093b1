package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath/remote"
	"netmatrix/quic"
	"netmatrix/tcp"
	"netmatrix/udp"
)

// serveMain runs the servers on their own until ctx is done: echo on the
// given port (TCP and UDP), sinks on the next one, QUIC's echo and sink on
// the two after (QUIC needs UDP sockets of its own).
func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:7007", "address for the echo servers (TCP and UDP) and the control channel of compare -remote (TCP, TLS); the sinks take the next port, QUIC's echo and sink the two after. Loopback unless another address is given: that is the choice to be reached from other hosts")
	keyFile := fs.String("key", "", "file whose content is the key compare -remote must hold (at least 16 bytes); without it a random key is made and printed")
	maxDuration := fs.Duration("max-duration", remote.DefaultLimits.MaxDuration, "compare -remote: the longest a test (a flow) may run")
	maxBytes := fs.String("max-bytes", "4GiB", "compare -remote: the most a test may send from this host, and the largest -bytes transfer it may ask for")
	sockperf := fs.Bool("sockperf", false, "answer sockperf's ping-pong instead of echoing raw bytes")
	rateLimit := fs.Float64("rate-limit", defaultRateLimit, "UDP echo: most datagrams answered per second per source address, a second's worth at once; 0 lifts the limit (for benchmarks)")
	nagle := fs.Bool("nagle", false, "leave Nagle's algorithm on for TCP echo")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: compare serve [-listen ADDR] [-key FILE] [flags]\n\nRuns the TCP, UDP and QUIC echo servers and sinks until interrupted, for nc, socat,\nsockperf or compare -target, and the control channel for compare -remote ADDR -key FILE\non another host.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "compare serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	host, portStr, err := net.SplitHostPort(*listen)
	port, perr := strconv.Atoi(portStr)
	// An address without a host is loopback, for every server: being
	// reached from another host is asked for by naming an address.
	if host == "" {
		host = "127.0.0.1"
	}
	if err != nil || perr != nil || port < 0 || port > 65532 {
		fmt.Fprintf(stderr, "compare serve: -listen %q: want HOST:PORT with a port below 65533 (four ports are used)\n", *listen)
		fs.Usage()
		return exitUsage
	}
	opt := serveOptions{sockperf: *sockperf, rateLimit: *rateLimit, nagle: *nagle,
		limits: remote.Limits{MaxDuration: *maxDuration}}
	if opt.limits.MaxBytes, err = link.ParseSize(*maxBytes); err != nil || opt.limits.MaxBytes <= 0 || *maxDuration <= 0 {
		fmt.Fprintf(stderr, "compare serve: -max-bytes and -max-duration must be positive\n")
		fs.Usage()
		return exitUsage
	}
	if *keyFile != "" {
		if opt.key, err = remote.LoadKey(*keyFile); err != nil {
			fmt.Fprintf(stderr, "compare serve: -key: %v\n", err)
			return exitUsage
		}
	}
	if err := serve(ctx, host, port, opt, stdout); err != nil {
		fmt.Fprintf(stderr, "compare serve: %v\n", err)
		return exitFail
	}
	return exitOK
}

// defaultRateLimit is the UDP echo's default cap per source address, in
// datagrams a second: far above what a person or `compare -target` at its
// default count needs, and low enough that a reflection through the echo,
// or a loop with an echo server on another host, stays small. Benchmarks
// lift it with -rate-limit 0.
const defaultRateLimit = 1000

// serveQUIC is how compare serve's QUIC servers face the network. The
// harness's defaults let a peer open 10,000 streams with 16 MiB windows,
// which a measured stream per message needs and a stranger must not get:
// 10,000 streams the client never reads cost the echo about 120 MB. Here
// a connection may hold 100 streams, and 4 MiB on one and 6 MiB on all
// unread (about 700 Mbit/s at 50 ms of round trip), so it can make a
// server hold about 20 MiB at most: its window of unread data in
// quic-go, as much again of unfinished messages in the sink, and a
// buffer of up to 64 KiB per stream. One address may have 8 connections.
var serveQUIC = quic.Config{MaxStreams: 100, StreamWindow: 4 << 20, MaxConnsPerSource: 8}

type serveOptions struct {
	sockperf  bool
	rateLimit float64
	nagle     bool
	// key authenticates compare -remote; nil makes a random one, printed.
	key    remote.Key
	limits remote.Limits
}

// serveSockets are compare serve's six sockets on four consecutive
// ports: the echoes (TCP and UDP) on the first, the sinks on the next,
// QUIC's echo and sink on the two after.
type serveSockets struct {
	echoLn, sinkLn                         net.Listener
	echoPC, sinkPC, quicEchoPC, quicSinkPC net.PacketConn
}

// listenServe opens the sockets from port on. Port 0 asks the system for
// the first; a neighbour already taken then makes it ask again, as the
// system knows nothing of the three ports after the one it gives.
func listenServe(ctx context.Context, host string, port int) (*serveSockets, error) {
	for try := 1; ; try++ {
		s, err := listenServeAt(ctx, host, port)
		if err == nil || port != 0 || try == 10 || !errors.Is(err, syscall.EADDRINUSE) {
			return s, err
		}
	}
}

func listenServeAt(ctx context.Context, host string, port int) (s *serveSockets, err error) {
	addr := func(p int) string { return net.JoinHostPort(host, strconv.Itoa(p)) }
	s = &serveSockets{}
	defer func() {
		if err != nil {
			s.close()
			s = nil
		}
	}()
	if s.echoLn, err = tcp.Listen(ctx, addr(port)); err != nil {
		return s, err
	}
	// Port 0 asked the system for one: the rest follow it.
	port = s.echoLn.Addr().(*net.TCPAddr).Port
	if s.echoPC, err = udp.Listen(ctx, addr(port)); err != nil {
		return s, err
	}
	if s.sinkLn, err = tcp.Listen(ctx, addr(port+1)); err != nil {
		return s, err
	}
	if s.sinkPC, err = udp.Listen(ctx, addr(port+1)); err != nil {
		return s, err
	}
	if s.quicEchoPC, err = udp.Listen(ctx, addr(port+2)); err != nil {
		return s, err
	}
	s.quicSinkPC, err = udp.Listen(ctx, addr(port+3))
	return s, err
}

// close closes the sockets opened.
func (s *serveSockets) close() {
	for _, c := range []io.Closer{s.echoLn, s.sinkLn, s.echoPC, s.sinkPC, s.quicEchoPC, s.quicSinkPC} {
		if c != nil {
			c.Close()
		}
	}
}

// serve opens every socket first, so a port already taken is reported
// before anything runs, then serves until ctx is done.
func serve(ctx context.Context, host string, port int, opt serveOptions, out io.Writer) error {
	socks, err := listenServe(ctx, host, port)
	if err != nil {
		return err
	}
	defer socks.close()
	echoLn, echoPC, sinkLn, sinkPC := socks.echoLn, socks.echoPC, socks.sinkLn, socks.sinkPC
	quicEchoPC, quicSinkPC := socks.quicEchoPC, socks.quicSinkPC
	id, err := quic.DefaultIdentity()
	if err != nil {
		return err
	}
	key, madeKey := opt.key, false
	if key == nil {
		if key, err = remote.NewKey(); err != nil {
			return err
		}
		madeKey = true
	}
	ctl := &remote.Server{Key: key, Host: host, Halves: harness.LocalServer, Fingerprint: id.Fingerprint(),
		Limits: opt.limits, Log: out}
	// The control channel shares the echo's TCP port: one address to
	// give, one port to open. A TLS ClientHello tells it apart; nc,
	// socat and sockperf see the echo as before (remote.Splitter).
	ctlCtx, stopCtl := context.WithCancel(ctx)
	echoSplit := remote.Split(echoLn, func(c net.Conn) { ctl.ServeConn(ctlCtx, c) })
	defer echoSplit.Wait()
	defer stopCtl()
	defer echoSplit.Close()

	var msgs, bytes atomic.Int64
	count := func(msg []byte, _ int64) { msgs.Add(1); bytes.Add(int64(len(msg))) }
	countBytes := func(chunk []byte, _ int64) { bytes.Add(int64(len(chunk))) }

	tcpEcho := &tcp.EchoServer{Nagle: opt.nagle, Sockperf: opt.sockperf}
	udpEcho := &udp.EchoServer{Sockperf: opt.sockperf, RateLimit: opt.rateLimit}
	tcpSink := &tcp.Sink{OnMessage: count, OnBytes: countBytes}
	udpSink := &udp.Sink{OnMessage: count}
	quicEcho := &quic.EchoServer{Identity: id, Config: serveQUIC}
	quicSink := &quic.Sink{Identity: id, Config: serveQUIC, OnMessage: count, OnBytes: countBytes}

	mode := "echo (RFC 862)"
	if opt.sockperf {
		mode = "sockperf ping-pong"
	}
	fmt.Fprintf(out, "compare serve: %s on tcp and udp %s; sinks on tcp and udp %s; Ctrl-C stops\n",
		mode, echoLn.Addr(), sinkLn.Addr())
	fmt.Fprintf(out, "compare serve: quic echo on %s, quic sink on %s (ALPN %q, certificate sha256 %s)\n",
		quicEchoPC.LocalAddr(), quicSinkPC.LocalAddr(), quic.ALPN, id.Fingerprint())
	if madeKey {
		fmt.Fprintf(out, "compare serve: control channel for compare -remote %s on tcp %s; key (new at each start; -key FILE keeps one): %s\n",
			echoLn.Addr(), echoLn.Addr(), key)
	} else {
		fmt.Fprintf(out, "compare serve: control channel for compare -remote %s on tcp %s, with the key of -key\n", echoLn.Addr(), echoLn.Addr())
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(out, "compare serve: listening on %s: reachable from other hosts, as asked. Whoever holds the key can run tests; the echo servers answer anyone\n", host)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		})
	}
	run(func(ctx context.Context) error { return tcpEcho.Serve(ctx, echoSplit) })
	run(func(ctx context.Context) error { return udpEcho.Serve(ctx, echoPC) })
	run(func(ctx context.Context) error { return tcpSink.Serve(ctx, sinkLn) })
	run(func(ctx context.Context) error { return udpSink.Serve(ctx, sinkPC) })
	run(func(ctx context.Context) error { return quicEcho.Serve(ctx, quicEchoPC) })
	run(func(ctx context.Context) error { return quicSink.Serve(ctx, quicSinkPC) })
	wg.Wait()
	st := udpEcho.Stats()
	fmt.Fprintf(out, "compare serve: stopped; udp echo answered %d of %d datagrams (%d refused as loops, %d over the rate limit); sinks took %d messages, %d bytes\n",
		st.Answered, st.Received, st.Refused, st.Limited, msgs.Load(), bytes.Load())
	return errors.Join(errs...)
}
