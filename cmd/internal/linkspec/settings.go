package linkspec

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
	"netmatrix/results"
)

// Settings are a link as typed: each impairment "" where not given, so a
// profile's own figure stands. They apply to both directions.
type Settings struct {
	// Profile is a named link to start from (link.Profiles); "" starts
	// from a clean one.
	Profile string
	// The impairments, as the link package parses them: shares ("2%" or
	// "0.02"), durations ("20ms"), a rate ("10mbit"), whole numbers.
	Loss, Burst, Delay, Jitter, Reorder, Dup, Bandwidth, Queue, MTU string
	// CC is TCP's congestion control: reno or cubic; "" means reno.
	CC string
	// SendBuffer and ReceiveBuffer size every TCP socket's buffers, as
	// typed ("16MiB"): kept doubled, as Linux keeps SO_SNDBUF and
	// SO_RCVBUF, and not autotuned. "" leaves the stacks' own, autotuned
	// as Linux's (netpath.Options).
	SendBuffer, ReceiveBuffer string
	// Seed seeds every random choice on the link, zero as well as any
	// other; Register's default is link.DefaultSeed, the profiles' own.
	Seed uint64
}

// Register adds the settings to fs as -profile, -loss, -burst, -delay,
// -jitter, -reorder, -dup, -bandwidth, -queue, -mtu, -cc, -sndbuf, -rcvbuf
// and -seed.
func (s *Settings) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.Profile, "profile", "", "a named link to start from: "+strings.Join(link.Profiles(), ", "))
	// Reno by default: the TCP the Mathis and Padhye models describe.
	fs.StringVar(&s.CC, "cc", "reno", "TCP congestion control: reno or cubic (the kernel path takes any its kernel has)")
	fs.StringVar(&s.SendBuffer, "sndbuf", "", "TCP send buffer of every socket on every path (16MiB), as SO_SNDBUF: kept doubled, not autotuned; forced past the host's limit on the kernel path and loopback (root). Default: the stacks' own, autotuned up to Linux's 4 MiB")
	fs.StringVar(&s.ReceiveBuffer, "rcvbuf", "", "TCP receive buffer of every socket on every path (16MiB), as SO_RCVBUF: kept doubled, not autotuned, about this much receive window; forced past the host's limit on the kernel path and loopback (root). Default: the stacks' own, autotuned up to Linux's 32 MiB")
	fs.Uint64Var(&s.Seed, "seed", link.DefaultSeed, "seed of every random choice on the link: the same seed gives the same fate to the same packets")
	fs.StringVar(&s.Loss, "loss", "", "share of packets lost in each direction (2% or 0.02)")
	fs.StringVar(&s.Burst, "burst", "", "mean loss burst length in packets (Gilbert-Elliott); 1 means independent loss")
	fs.StringVar(&s.Delay, "delay", "", "one-way delay in each direction (20ms)")
	fs.StringVar(&s.Jitter, "jitter", "", "spread of the delay (5ms); it does not reorder packets by itself")
	fs.StringVar(&s.Reorder, "reorder", "", "share of packets sent ahead of the queue (1%)")
	fs.StringVar(&s.Dup, "dup", "", "share of packets duplicated (0.5%)")
	fs.StringVar(&s.Bandwidth, "bandwidth", "", "rate limit in each direction (10mbit, 1gbit)")
	fs.StringVar(&s.Queue, "queue", "", "packets the rate limit queues before it drops (default 1000)")
	fs.StringVar(&s.MTU, "mtu", "", "largest IP packet on the link (default 1500)")
}

// Impaired reports whether any impairment is given.
func (s *Settings) Impaired() bool {
	for _, v := range []string{s.Loss, s.Burst, s.Delay, s.Jitter, s.Reorder, s.Dup, s.Bandwidth, s.Queue, s.MTU} {
		if v != "" {
			return true
		}
	}
	return false
}

// Value is the impairment a sweep can vary, as given ("" if not).
func (s *Settings) Value(param string) string {
	return map[string]string{"loss": s.Loss, "delay": s.Delay, "jitter": s.Jitter, "bandwidth": s.Bandwidth}[param]
}

// Check reports a congestion control or a socket buffer no path takes.
func (s *Settings) Check() error {
	if s.CC != "" && s.CC != "reno" && s.CC != "cubic" {
		return fmt.Errorf("-cc %q: want reno or cubic", s.CC)
	}
	_, err := s.Options()
	return err
}

// Spec is the link the settings describe: the profile, if one is named,
// with the impairments over it ("4g+custom"), or a clean link with them
// ("custom"), and the seed. It is not validated: a sweep sets more on it
// first (see Spec.Validate).
func (s *Settings) Spec() (link.Spec, error) {
	spec := link.Spec{Name: "custom"}
	if s.Profile != "" {
		var err error
		if spec, err = link.Profile(s.Profile); err != nil {
			return link.Spec{}, err
		}
		if s.Impaired() {
			spec.Name += "+custom"
		}
	}
	spec.Seed = s.Seed
	if err := s.apply(&spec); err != nil {
		return link.Spec{}, err
	}
	return spec, nil
}

// ValidSpec is Spec, validated: the link as it is run when nothing more
// is set on it.
func (s *Settings) ValidSpec() (link.Spec, error) {
	spec, err := s.Spec()
	if err != nil {
		return link.Spec{}, err
	}
	if err := spec.Validate(); err != nil {
		return link.Spec{}, err
	}
	return spec, nil
}

// ProfileSpec is a named link with the settings' seed.
func (s *Settings) ProfileSpec(name string) (link.Spec, error) {
	spec, err := link.Profile(name)
	spec.Seed = s.Seed
	return spec, err
}

// apply sets the impairments given on both directions of spec.
func (s *Settings) apply(spec *link.Spec) error {
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
		{"loss", s.Loss, share(func(c *link.Config) *float64 { return &c.Loss })},
		{"burst", s.Burst, func(c *link.Config, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("want a mean burst length in packets, not %q", s)
			}
			c.BurstLen = v
			return nil
		}},
		{"delay", s.Delay, dur(func(c *link.Config) *time.Duration { return &c.Delay })},
		{"jitter", s.Jitter, dur(func(c *link.Config) *time.Duration { return &c.Jitter })},
		{"reorder", s.Reorder, share(func(c *link.Config) *float64 { return &c.Reorder })},
		{"dup", s.Dup, share(func(c *link.Config) *float64 { return &c.Duplicate })},
		{"bandwidth", s.Bandwidth, func(c *link.Config, s string) error {
			v, err := link.ParseBandwidth(s)
			c.Bandwidth = v
			return err
		}},
		{"queue", s.Queue, integer(func(c *link.Config) *int { return &c.Queue })},
		{"mtu", s.MTU, integer(func(c *link.Config) *int { return &c.MTU })},
	} {
		if st.val = strings.TrimSpace(st.val); st.val == "" {
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

// Scenario is a scenario on the emulated path with spec: every run gets
// a fresh path of its own with the same settings and seed. Check the
// settings first: Scenario takes what Options reads.
func (s *Settings) Scenario(spec link.Spec) harness.Scenario {
	opts, _ := s.Options()
	opts = opts.WithDefaults()
	sc := harness.Scenario{
		Record: results.Scenario{
			Name: spec.Name, Link: results.LinkEmulated, Seed: int64(spec.Seed),
			Up: results.LinkOf(spec.Up), Down: results.LinkOf(spec.Down), CongestionControl: opts.CongestionControl,
			SendBuffer: int64(opts.SendBuffer), ReceiveBuffer: int64(opts.ReceiveBuffer),
		},
		NewPath: func(ctx context.Context, use netpath.Use) (netpath.Path, error) {
			return emulated.New(ctx, spec, opts.For(use))
		},
		// Round trips of milliseconds dwarf what sharing the CPU adds.
		Concurrent: min(spec.Up.Delay, spec.Down.Delay) >= time.Millisecond,
		BulkRate:   AutoRate(spec.Up),
	}
	return sc
}

// Options are the path's settings besides its link, alike on every kind
// of path: TCP's congestion control and socket buffers.
func (s *Settings) Options() (netpath.Options, error) {
	opts := netpath.Options{CongestionControl: s.CC}
	for _, b := range []struct {
		flag, val string
		dst       *int
	}{{"sndbuf", s.SendBuffer, &opts.SendBuffer}, {"rcvbuf", s.ReceiveBuffer, &opts.ReceiveBuffer}} {
		if strings.TrimSpace(b.val) == "" {
			continue
		}
		v, err := link.ParseSize(b.val)
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

// AutoRate is the UDP bulk rate for a link when none is asked for: the
// payload rate that fills a rate-limited link exactly (the IP and UDP
// headers take the rest), or 100 Mbit/s on an unlimited one, which shows
// UDP's loss without measuring only how fast this machine can copy.
func AutoRate(c link.Config) int64 {
	const headers = 28 // IPv4 + UDP
	if c.Bandwidth == 0 {
		return 100e6
	}
	return c.Bandwidth * 1400 / (1400 + headers)
}
