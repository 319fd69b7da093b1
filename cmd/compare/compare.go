package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"netmatrix/harness"
	"netmatrix/results"
)

// Exit codes: 2 for a command line that cannot run, 1 for a run that
// failed or had a failed measurement.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Main runs the command with args and returns its exit code. It is the
// whole program but for signal handling, so tests drive it directly.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "serve" {
		return serveMain(ctx, args[1:], stdout, stderr)
	}
	c, err := parseCompare(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	return c.run(ctx, stdout, stderr)
}

// compareCmd is a parsed command line of the main job.
type compareCmd struct {
	cfg       harness.Config
	link      linkFlags
	target    string
	format    string
	out       string
	scenarios []harness.Scenario
}

func parseCompare(args []string, stderr io.Writer) (*compareCmd, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c          compareCmd
		transports = fs.String("transports", strings.Join(harness.TransportNames(), ","), "transports to compare, comma-separated")
		workloads  = fs.String("workload", strings.Join(harness.WorkloadNames(), ","), "workloads to run, comma-separated: echo, stream, bulk")
		rate       = fs.String("rate", "auto", "UDP bulk target rate (100mbit, 1gbit); 0 sends as fast as the socket takes datagrams; auto is the link's rate limit, or 100mbit on an unlimited emulated link, or unlimited on loopback")
		bulkBytes  = fs.String("bytes", "0", "bulk: transfer this much (10MiB, 1GB) and wait for all of it, to show completion time; 0 runs for -duration")
	)
	fs.IntVar(&c.cfg.Count, "count", 150, "messages per echo and stream run")
	fs.DurationVar(&c.cfg.Interval, "interval", 20*time.Millisecond, "stream pacing: one message every interval")
	fs.DurationVar(&c.cfg.EchoInterval, "echo-interval", 0, "echo pacing; 0 keeps one message in flight (ping-pong)")
	fs.IntVar(&c.cfg.Size, "size", 160, "echo and stream message size in bytes, 16-byte header included")
	fs.DurationVar(&c.cfg.Duration, "duration", 2*time.Second, "how long each bulk run sends")
	fs.DurationVar(&c.cfg.Timeout, "timeout", time.Second, "how long an echo reply may take before the probe counts as lost")
	fs.BoolVar(&c.cfg.Nagle, "nagle", false, "leave Nagle's algorithm on for TCP (off by default: TCP_NODELAY)")
	fs.IntVar(&c.cfg.DatagramSize, "dgram-size", 1400, "UDP bulk datagram size in bytes")
	c.link.register(fs)
	fs.StringVar(&c.target, "target", "", "measure echo against a running echo server: tcp://HOST:PORT or udp://HOST:PORT")
	fs.StringVar(&c.format, "format", "table", "output: table or json (one record per line)")
	fs.StringVar(&c.out, "o", "", "write the output to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: compare [flags]\n       compare serve [-listen ADDR] [-sockperf]\n\nRuns TCP, UDP and QUIC side by side over the same path and prints what each gave the application.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*compareCmd, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "compare: %v\n", err)
		fs.Usage()
		return nil, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.cfg.Transports, err = harness.ParseList("transport", *transports, harness.TransportNames()); err != nil {
		return fail("%v", err)
	}
	if c.cfg.Workloads, err = harness.ParseList("workload", *workloads, harness.WorkloadNames()); err != nil {
		return fail("%v", err)
	}
	if c.cfg.BulkRate, err = parseRate(*rate); err != nil {
		return fail("-rate: %v", err)
	}
	if c.cfg.BulkBytes, err = parseBytes(*bulkBytes); err != nil {
		return fail("-bytes: %v", err)
	}
	if err := c.cfg.Validate(); err != nil {
		return fail("%v", err)
	}
	switch c.format {
	case "table", "json":
	default:
		return fail("-format %q: want table or json", c.format)
	}
	if c.target != "" {
		if _, _, err := harness.ParseTarget(c.target); err != nil {
			return fail("-target: %v", err)
		}
		return &c, nil
	}
	if c.scenarios, err = c.link.scenarios(); err != nil {
		return fail("%v", err)
	}
	return &c, nil
}

func (c *compareCmd) run(ctx context.Context, stdout, stderr io.Writer) int {
	w := stdout
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return exitFail
		}
		defer f.Close()
		w = f
	}
	prog := newProgress(stderr)
	var (
		records []results.Record
		err     error
	)
	if c.target != "" {
		var rec results.Record
		rec, err = harness.RunTarget(ctx, c.target, c.cfg, prog)
		records = []results.Record{rec}
	} else {
		records, err = harness.Run(ctx, c.scenarios, c.cfg, prog)
	}
	prog.stop()
	if err != nil && len(records) == 0 {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	if rerr := c.render(w, records); rerr != nil {
		fmt.Fprintf(stderr, "compare: %v\n", rerr)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	for _, rec := range records {
		for _, r := range rec.Results {
			if r.Error != "" {
				return exitFail
			}
		}
	}
	return exitOK
}

func (c *compareCmd) render(w io.Writer, records []results.Record) error {
	if c.format == "json" {
		return results.WriteJSON(w, records)
	}
	return results.WriteTable(w, records)
}
