package link

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseShare reads a share as a percentage ("2%", "0.5%") or a fraction
// ("0.02"). A bare number above 1 is refused rather than guessed at:
// "2" could mean 2% or 200%.
func ParseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("link: share %q: want a percentage like 2%% or a fraction like 0.02", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		hint := ""
		if !pct {
			hint = " (write 2% or 0.02 for two percent)"
		}
		return 0, fmt.Errorf("link: share %q is outside 0..100%%%s", s, hint)
	}
	return v, nil
}

// bitUnits are tc's rate units that count bits, decimal (SI) and binary
// (IEC). tc's byte units ("kbps" is kilobytes per second there) are
// refused, because people read "mbps" as megabits.
var bitUnits = []struct {
	suffix string
	mult   float64
}{
	{"kibit", 1 << 10}, {"mibit", 1 << 20}, {"gibit", 1 << 30}, {"tibit", 1 << 40},
	{"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12},
	{"bit", 1},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12},
}

// maxBandwidth (1 Pbit/s) keeps serialisation times in range.
const maxBandwidth = 1e15

// ParseBandwidth reads a rate in bits per second as tc writes it:
// "10mbit", "1gbit", "500kbit", "1.5mbit", "64kibit", or a bare number of
// bits per second. "0" and "" mean unlimited.
func ParseBandwidth(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" || t == "0" {
		return 0, nil
	}
	if strings.HasSuffix(t, "bps") || strings.HasSuffix(t, "b/s") {
		return 0, fmt.Errorf("link: bandwidth %q: byte units are ambiguous; write bits, like 10mbit", s)
	}
	mult := 1.0
	for _, u := range bitUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil {
		return 0, fmt.Errorf("link: bandwidth %q: want a rate like 10mbit, 1gbit or 500kbit: %w", s, errors.Unwrap(err))
	}
	bits := v * mult
	if !(bits >= 1 && bits <= maxBandwidth) { // also catches NaN
		return 0, fmt.Errorf("link: bandwidth %q is out of range", s)
	}
	return int64(math.Round(bits)), nil
}

// FormatBandwidth writes bits per second the way ParseBandwidth reads them.
func FormatBandwidth(bps int64) string {
	switch {
	case bps == 0:
		return "unlimited"
	case bps%1e9 == 0:
		return strconv.FormatInt(bps/1e9, 10) + "gbit"
	case bps%1e6 == 0:
		return strconv.FormatInt(bps/1e6, 10) + "mbit"
	case bps%1e3 == 0:
		return strconv.FormatInt(bps/1e3, 10) + "kbit"
	}
	return strconv.FormatInt(bps, 10) + "bit"
}

// ParseDuration reads a delay or jitter with time.ParseDuration ("20ms",
// "1.5s"); "0" and "" mean none, negatives are refused.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("link: duration: %w", err)
	}
	if d < 0 {
		return 0, fmt.Errorf("link: duration %q is negative", s)
	}
	return d, nil
}

// ParseSize reads a size: a number of bytes with an optional unit, KB MB
// GB (powers of 1000) or KiB MiB GiB (powers of 1024): "16MiB", "65536".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 || v > (1<<50)/mult {
		return 0, fmt.Errorf("link: want a size like 10MiB, 1GB or 65536, not %q", s)
	}
	return v * mult, nil
}
