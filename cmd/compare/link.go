package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
	"netmatrix/harness/netpath/kernel"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/results"
)

// linkFlags are the command line's say over the path.
type linkFlags struct {
	kind    string
	profile string
	cc      string
	seed    uint64
	// The impairment flags apply to both directions, over the profile's
	// figures when one is named.
	loss, burst, delay, jitter, reorder, dup, bandwidth, queue, mtu string
	// exec and execServer are commands to run in the kernel path's
	// client and server namespaces instead of the workloads (kernel.go).
	exec, execServer string
	// sndbuf and rcvbuf size every TCP socket's buffers, on every path.
	sndbuf, rcvbuf string
}

func (lf *linkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&lf.kind, "link", "emulated", "the path: emulated (two userspace TCP/IP stacks joined by an impaired link, no root needed), kernel (Linux's own TCP and UDP in two network namespaces joined through TUN devices by the same link; root, or a user namespace where the host allows one: see docs/kernel-path.md) or loopback (this host's own stack, no impairment)")
	fs.StringVar(&lf.profile, "profile", "", "a named link to start from: "+joinProfiles()+"; with no profile and no impairment flags, a clean and a lossy path run side by side")
	// Reno by default: the pinned gVisor's CUBIC can shrink its window to
	// zero under loss and stall for good (fixed upstream after it).
	fs.StringVar(&lf.cc, "cc", "reno", "TCP congestion control: reno or cubic (the emulated path's CUBIC can stall under loss)")
	fs.Uint64Var(&lf.seed, "seed", link.DefaultSeed, "seed of every random choice on the link: the same seed gives the same fate to the same packets")
	fs.StringVar(&lf.loss, "loss", "", "share of packets lost in each direction (2% or 0.02)")
	fs.StringVar(&lf.burst, "burst", "", "mean loss burst length in packets (Gilbert-Elliott); 1 means independent loss")
	fs.StringVar(&lf.delay, "delay", "", "one-way delay in each direction (20ms)")
	fs.StringVar(&lf.jitter, "jitter", "", "spread of the delay (5ms); it does not reorder packets by itself")
	fs.StringVar(&lf.reorder, "reorder", "", "share of packets sent ahead of the queue (1%)")
	fs.StringVar(&lf.dup, "dup", "", "share of packets duplicated (0.5%)")
	fs.StringVar(&lf.bandwidth, "bandwidth", "", "rate limit in each direction (10mbit, 1gbit)")
	fs.StringVar(&lf.queue, "queue", "", "packets the rate limit queues before it drops (default 1000)")
	fs.StringVar(&lf.mtu, "mtu", "", "largest IP packet on the link (default 1500)")
	fs.StringVar(&lf.sndbuf, "sndbuf", "", "TCP send buffer of every socket on every path (16MiB), as SO_SNDBUF: kept doubled, not autotuned; forced past the host's limit on the kernel path and loopback (root). Default: the stacks' own, autotuned up to Linux's 4 MiB")
	fs.StringVar(&lf.rcvbuf, "rcvbuf", "", "TCP receive buffer of every socket on every path (16MiB), as SO_RCVBUF: kept doubled, not autotuned, about this much receive window; forced past the host's limit on the kernel path and loopback (root). Default: the stacks' own, autotuned up to Linux's 32 MiB")
	fs.StringVar(&lf.exec, "exec", "", "with -link kernel: run this shell command in the client's namespace, over the impaired link, instead of the workloads; $"+kernel.ServerEnv+" is the server's address, where compare's echo servers and sinks listen (as `compare serve`)")
	fs.StringVar(&lf.execServer, "exec-server", "", "with -exec: also run this shell command in the server's namespace (iperf3 -s, say), and start -exec once it listens")
}

func joinProfiles() string {
	s := ""
	for i, p := range link.Profiles() {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}

// impaired reports whether any impairment flag was given.
func (lf *linkFlags) impaired() bool {
	for _, v := range []string{lf.loss, lf.burst, lf.delay, lf.jitter, lf.reorder, lf.dup, lf.bandwidth, lf.queue, lf.mtu} {
		if v != "" {
			return true
		}
	}
	return false
}

// options are the path settings the flags give, every kind of path
// alike.
func (lf *linkFlags) options() (netpath.Options, error) {
	opts := netpath.Options{CongestionControl: lf.cc}
	for _, b := range []struct {
		flag, val string
		dst       *int
	}{{"sndbuf", lf.sndbuf, &opts.SendBuffer}, {"rcvbuf", lf.rcvbuf, &opts.ReceiveBuffer}} {
		if b.val == "" {
			continue
		}
		v, err := parseBytes(b.val)
		if err == nil && (v == 0 || v > netpath.MaxSocketBuffer) {
			err = fmt.Errorf("want a size from 1 byte to 1GiB, not %q", b.val)
		}
		if err != nil {
			return opts, fmt.Errorf("-%s: %w", b.flag, err)
		}
		*b.dst = int(v)
	}
	return opts, nil
}

// record notes the path settings of opts in a scenario's record.
func record(sc *results.Scenario, opts netpath.Options) {
	sc.SendBuffer, sc.ReceiveBuffer = int64(opts.SendBuffer), int64(opts.ReceiveBuffer)
}

// scenarios turns the flags into the paths to run: the default pair
// (clean and lossy), a profile, or a custom link.
func (lf *linkFlags) scenarios() ([]harness.Scenario, error) {
	if err := lf.checkExec(); err != nil {
		return nil, err
	}
	opts, err := lf.options()
	if err != nil {
		return nil, err
	}
	switch lf.kind {
	case "loopback":
		if lf.profile != "" || lf.impaired() {
			return nil, fmt.Errorf("-link loopback has no impairment; use -link emulated for -profile, -loss and the like")
		}
		sc := harness.Scenario{
			Record:  results.Scenario{Name: "loopback", Link: "loopback"},
			NewPath: func(context.Context) (netpath.Path, error) { return loopback.New(opts) },
		}
		record(&sc.Record, opts)
		return []harness.Scenario{sc}, nil
	case "emulated", "kernel":
	default:
		return nil, fmt.Errorf("-link %q: want emulated, kernel or loopback", lf.kind)
	}
	if err := lf.checkCC(); err != nil {
		return nil, err
	}
	if lf.profile == "" && !lf.impaired() {
		var out []harness.Scenario
		for _, name := range []string{"clean", "lossy"} {
			spec, err := link.Profile(name)
			if err != nil {
				return nil, err
			}
			spec.Seed = lf.seed
			out = append(out, lf.path(spec, opts))
		}
		return out, nil
	}
	spec, err := lf.spec()
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return []harness.Scenario{lf.path(spec, opts)}, nil
}

// spec is the link the flags describe: the profile, if one is named,
// with the impairment flags over it, and the seed.
func (lf *linkFlags) spec() (link.Spec, error) {
	spec := link.Spec{Name: "custom"}
	if lf.profile != "" {
		var err error
		if spec, err = link.Profile(lf.profile); err != nil {
			return link.Spec{}, err
		}
		if lf.impaired() {
			spec.Name += "+custom"
		}
	}
	spec.Seed = lf.seed
	if err := lf.apply(&spec); err != nil {
		return link.Spec{}, err
	}
	return spec, nil
}

func (lf *linkFlags) checkCC() error {
	if lf.cc != "reno" && lf.cc != "cubic" {
		return fmt.Errorf("-cc %q: want reno or cubic", lf.cc)
	}
	return nil
}

// apply sets the impairment flags given on both directions of spec.
func (lf *linkFlags) apply(spec *link.Spec) error {
	type setter struct {
		flag, val string
		set       func(c *link.Config, s string) error
	}
	share := func(dst func(*link.Config) *float64) func(*link.Config, string) error {
		return func(c *link.Config, s string) error {
			v, err := link.ParseShare(s)
			*dst(c) = v
			return err
		}
	}
	dur := func(dst func(*link.Config) *time.Duration) func(*link.Config, string) error {
		return func(c *link.Config, s string) error {
			v, err := link.ParseDuration(s)
			*dst(c) = v
			return err
		}
	}
	integer := func(dst func(*link.Config) *int) func(*link.Config, string) error {
		return func(c *link.Config, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return fmt.Errorf("want a whole number, not %q", s)
			}
			*dst(c) = v
			return nil
		}
	}
	for _, st := range []setter{
		{"loss", lf.loss, share(func(c *link.Config) *float64 { return &c.Loss })},
		{"burst", lf.burst, func(c *link.Config, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("want a mean burst length in packets, not %q", s)
			}
			c.BurstLen = v
			return nil
		}},
		{"delay", lf.delay, dur(func(c *link.Config) *time.Duration { return &c.Delay })},
		{"jitter", lf.jitter, dur(func(c *link.Config) *time.Duration { return &c.Jitter })},
		{"reorder", lf.reorder, share(func(c *link.Config) *float64 { return &c.Reorder })},
		{"dup", lf.dup, share(func(c *link.Config) *float64 { return &c.Duplicate })},
		{"bandwidth", lf.bandwidth, func(c *link.Config, s string) error {
			v, err := link.ParseBandwidth(s)
			c.Bandwidth = v
			return err
		}},
		{"queue", lf.queue, integer(func(c *link.Config) *int { return &c.Queue })},
		{"mtu", lf.mtu, integer(func(c *link.Config) *int { return &c.MTU })},
	} {
		if st.val == "" {
			continue
		}
		var err error
		spec.Both(func(c *link.Config) {
			if err == nil {
				err = st.set(c, st.val)
			}
		})
		if err != nil {
			return fmt.Errorf("-%s: %w", st.flag, err)
		}
	}
	return nil
}

// emulated is a scenario on the emulated path with spec and opts.
func (lf *linkFlags) emulated(spec link.Spec, opts netpath.Options) harness.Scenario {
	sc := harness.Scenario{
		Record: results.Scenario{
			Name: spec.Name, Link: "emulated", Seed: int64(spec.Seed),
			Up: results.LinkOf(spec.Up), Down: results.LinkOf(spec.Down), CongestionControl: opts.CongestionControl,
		},
		NewPath: func(ctx context.Context) (netpath.Path, error) {
			return emulated.New(ctx, spec, opts)
		},
		// Round trips of milliseconds dwarf what sharing the CPU adds.
		Concurrent: min(spec.Up.Delay, spec.Down.Delay) >= time.Millisecond,
		BulkRate:   autoRate(spec.Up),
	}
	record(&sc.Record, opts)
	return sc
}

// autoRate is the UDP bulk rate for a link when none is asked for: the
// payload rate that fills a rate-limited link exactly (the IP and UDP
// headers take the rest), or 100 Mbit/s on an unlimited one, which shows
// UDP's loss without measuring only how fast this machine can copy.
func autoRate(c link.Config) int64 {
	const headers = 28 // IPv4 + UDP
	if c.Bandwidth == 0 {
		return 100e6
	}
	return c.Bandwidth * 1400 / (1400 + headers)
}
