package link

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultSeed is the seed of the named profiles; set Spec.Seed to vary it.
const DefaultSeed = 1

// profiles are starting points, not measurements of any one network: each
// takes rounded, typical figures from the source its comment names. Rates
// and delays are per direction; delays are one-way (half the RTT quoted).
var profiles = map[string]Spec{
	// clean is a perfect link: the baseline every other row is read
	// against.
	"clean": {},

	// lan is switched gigabit Ethernet: 1 Gbit/s (IEEE 802.3ab,
	// 1000BASE-T) and the 0.1-0.2 ms RTT of a ping across one switch;
	// Ethernet's bit error rate (1e-12 or better, IEEE 802.3) makes loss
	// nil at these packet counts. The queue is Linux's txqueuelen.
	"lan": Symmetric(Config{
		Delay:     50 * time.Microsecond,
		Jitter:    10 * time.Microsecond,
		Bandwidth: 1e9,
		Queue:     1000,
	}, DefaultSeed),

	// wifi is a home 802.11ac network at moderate range: about 100 Mbit/s
	// of goodput down and 50 up (the PHY rates of IEEE 802.11ac-2013 less
	// the MAC's overhead and contention), a WiFi hop of a few
	// milliseconds with a long tail (Sui et al., "Characterizing and
	// Improving WiFi Latency in Large-Scale Operational Networks",
	// MobiSys 2016), and the short loss bursts left once 802.11's
	// link-layer retries give up under interference.
	"wifi": asymmetric(Config{Delay: 3 * time.Millisecond, Jitter: 2 * time.Millisecond,
		Loss: 0.003, BurstLen: 2}, rate{50e6, 500}, rate{100e6, 500}),

	// 4g is LTE as Opensignal's mobile network experience reports
	// (2019-2022) saw it across countries: about 25 Mbit/s down, 8 up,
	// 40-60 ms RTT. 3GPP's RLC acknowledged mode retransmits radio
	// losses, so IP loss stays near 0.1%; base stations queue deeply
	// (Jiang et al., "Tackling Bufferbloat in 3G/4G Networks", IMC 2012).
	"4g": asymmetric(Config{Delay: 25 * time.Millisecond, Jitter: 5 * time.Millisecond,
		Loss: 0.001}, rate{8e6, 300}, rate{25e6, 500}),

	// 3g is HSPA as Opensignal's reports saw it before 3G switch-offs:
	// about 3 Mbit/s down, 1 up, 100-150 ms RTT with wide jitter, and
	// Ofcom's UK mobile measurements of 3G ("Mobile Matters", 2018-2020)
	// put it in the same range. The deep queue is the seconds of RTT
	// under load that Jiang et al. (IMC 2012) measured on 3G.
	"3g": asymmetric(Config{Delay: 60 * time.Millisecond, Jitter: 15 * time.Millisecond,
		Loss: 0.005, BurstLen: 2}, rate{1e6, 100}, rate{3e6, 200}),

	// satellite is a geostationary link: the hop up to 35,786 km and back
	// down is at least 239 ms one-way at the speed of light (ITU-T G.114
	// counts about 260 ms for a GEO hop); the FCC's Measuring Broadband
	// America reports measured about 600 ms RTT on GEO satellite
	// broadband, with 25/3 Mbit/s plans.
	"satellite": asymmetric(Config{Delay: 300 * time.Millisecond, Jitter: 10 * time.Millisecond,
		Loss: 0.005, BurstLen: 3}, rate{3e6, 200}, rate{25e6, 1000}),

	// lossy is the teaching case: 2% independent loss on a 40 ms RTT
	// path. ITU-T Y.1541 sets 1e-3 as the loss objective of its classes
	// 0-4, so this is twenty times worse, yet under the 3% that ITU-T
	// G.1010 says conversational voice tolerates: a path an application
	// must cope with. No rate limit, so runs stay short.
	"lossy": Symmetric(Config{
		Delay:  20 * time.Millisecond,
		Jitter: 2 * time.Millisecond,
		Loss:   0.02,
	}, DefaultSeed),
}

// rate is one direction's rate limit in bits per second and the packets
// its queue holds.
type rate struct {
	bitsPerSecond int64
	queue         int
}

// asymmetric is an access link: both directions share the delay, jitter
// and loss of both, but each has its own rate and queue (up is the
// client's sending direction).
func asymmetric(both Config, up, down rate) Spec {
	s := Symmetric(both, DefaultSeed)
	s.Up.Bandwidth, s.Up.Queue = up.bitsPerSecond, up.queue
	s.Down.Bandwidth, s.Down.Queue = down.bitsPerSecond, down.queue
	return s
}

// Profiles returns the names of the profiles, sorted.
func Profiles() []string {
	names := make([]string, 0, len(profiles))
	for name := range profiles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Profile returns the named profile, named and seeded with DefaultSeed
// (the clean profile too).
func Profile(name string) (Spec, error) {
	s, ok := profiles[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Spec{}, fmt.Errorf("link: no profile %q; valid profiles: %s", name, strings.Join(Profiles(), ", "))
	}
	s.Name = strings.ToLower(strings.TrimSpace(name))
	s.Seed = DefaultSeed
	return s, nil
}
