package link

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseShare(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  string
	}{
		{in: "2%", want: 0.02},
		{in: "0.5%", want: 0.005},
		{in: " 100% ", want: 1},
		{in: "0.02", want: 0.02},
		{in: "0", want: 0},
		{in: "1", want: 1},
		{in: "2", err: "write 2% or 0.02"},
		{in: "101%", err: "outside"},
		{in: "-1%", err: "outside"},
		{in: "", err: "want a percentage"},
		{in: "%", err: "want a percentage"},
		{in: "two", err: "want a percentage"},
		{in: "NaN", err: "want a percentage"},
		{in: "Inf%", err: "want a percentage"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseShare(tc.in)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-12)
		})
	}
}

func TestParseBandwidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{in: "10mbit", want: 10_000_000},
		{in: "1gbit", want: 1_000_000_000},
		{in: "500kbit", want: 500_000},
		{in: "1.5Mbit", want: 1_500_000},
		{in: "64kibit", want: 65_536},
		{in: "2mibit", want: 2 << 20},
		{in: "9600", want: 9600},
		{in: "9600bit", want: 9600},
		{in: "100m", want: 100_000_000},
		{in: "1tbit", want: 1e12},
		{in: "0", want: 0},
		{in: "", want: 0},
		{in: "10mbps", err: "ambiguous"},
		{in: "10MB/s", err: "ambiguous"},
		{in: "fast", err: "want a rate"},
		{in: "mbit", err: "want a rate"},
		{in: "-1mbit", err: "out of range"},
		{in: "0.1bit", err: "out of range"},
		{in: "1e30bit", err: "out of range"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBandwidth(tc.in)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFormatBandwidthRoundTrips(t *testing.T) {
	for _, bps := range []int64{0, 1, 999, 500_000, 10_000_000, 1_000_000_000, 1_500_000, 123_456_789} {
		s := FormatBandwidth(bps)
		if bps == 0 {
			assert.Equal(t, "unlimited", s)
			continue
		}
		got, err := ParseBandwidth(s)
		require.NoError(t, err, s)
		assert.Equal(t, bps, got, s)
	}
}

func TestParseDuration(t *testing.T) {
	d, err := ParseDuration("20ms")
	require.NoError(t, err)
	assert.Equal(t, 20*time.Millisecond, d)
	d, err = ParseDuration("0")
	require.NoError(t, err)
	assert.Zero(t, d)
	_, err = ParseDuration("-5ms")
	assert.ErrorContains(t, err, "negative")
	_, err = ParseDuration("20")
	assert.ErrorContains(t, err, "missing unit")
}

func TestProfiles(t *testing.T) {
	names := Profiles()
	for _, want := range []string{"clean", "lan", "wifi", "4g", "3g", "satellite", "lossy"} {
		assert.Contains(t, names, want)
	}
	for _, name := range names {
		s, err := Profile(name)
		require.NoError(t, err)
		assert.NoError(t, s.Validate(), name)
		assert.Equal(t, name, s.Name)
		assert.EqualValues(t, DefaultSeed, s.Seed)
	}
	s, err := Profile(" LOSSY ")
	require.NoError(t, err)
	assert.InDelta(t, 0.02, s.Up.Loss, 1e-12)
	_, err = Profile("dialup")
	assert.ErrorContains(t, err, "valid profiles: 3g, 4g, clean, lan, lossy, satellite, wifi")
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, Config{}.Validate())
	for _, c := range []Config{
		{Loss: -0.1}, {Loss: 1}, {Loss: math.NaN()}, {Reorder: 2}, {Duplicate: -1},
		{Loss: 0.6, BurstLen: 1.2}, {BurstLen: -1}, {Delay: -1}, {Jitter: -1},
		{Bandwidth: -1}, {Queue: -1}, {MTU: 100}, {MTU: 70000},
		{Reorder: 0.01}, {Reorder: 0.01, Bandwidth: 1e6},
	} {
		assert.Error(t, c.Validate(), "%+v", c)
	}
	var s Spec
	s.Both(func(c *Config) { c.Loss = 0.01 })
	assert.InDelta(t, 0.01, s.Config(Up).Loss, 0)
	assert.InDelta(t, 0.01, s.Config(Down).Loss, 0)
	s.Down.MTU = 1
	assert.ErrorContains(t, s.Validate(), "down")
}

// The fuzz targets check that the parsers never panic and that what they
// accept is in range.
func FuzzParseShare(f *testing.F) {
	f.Add("2%")     // a percentage
	f.Add("0.02")   // a fraction
	f.Add("2")      // ambiguous, refused
	f.Add("1e-3%")  // exponent and percent together
	f.Add("%%")     // only the sign
	f.Add("-0")     // negative zero
	f.Add("0x1p-2") // a hex float strconv accepts
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseShare(s)
		if err == nil && !(v >= 0 && v <= 1) {
			t.Fatalf("ParseShare(%q) = %v, outside 0..1", s, v)
		}
	})
}

func FuzzParseBandwidth(f *testing.F) {
	f.Add("10mbit")                 // the common form
	f.Add("1.5gibit")               // binary prefix with a fraction
	f.Add("9223372036854775807bit") // the int64 edge
	f.Add("1e15")                   // the upper bound
	f.Add("kbit")                   // a unit alone
	f.Add("10 mbit")                // a space before the unit
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBandwidth(s)
		if err == nil && (v < 0 || v > maxBandwidth) {
			t.Fatalf("ParseBandwidth(%q) = %v, out of range", s, v)
		}
		if err == nil && v > 0 {
			_ = Serialization(MaxMTU, v) // must not overflow into a negative time
			if Serialization(MaxMTU, v) < 0 {
				t.Fatalf("serialisation at %d bit/s is negative", v)
			}
		}
	})
}
