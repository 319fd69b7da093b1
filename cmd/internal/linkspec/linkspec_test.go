package linkspec

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
)

func TestParseSweep(t *testing.T) {
	for _, tc := range []struct {
		in    string
		param string
		texts []string
		vals  []float64
	}{
		// The issue's own example: the unit on the last value is every value's.
		{"loss=0,0.5,1,2,5,10%", "loss", []string{"0%", "0.5%", "1%", "2%", "5%", "10%"}, []float64{0, 0.005, 0.01, 0.02, 0.05, 0.1}},
		// Fractions, as -loss takes them.
		{"loss=0.02,0", "loss", []string{"0", "0.02"}, []float64{0, 0.02}},
		// Mixed units; run in increasing order whatever the order typed.
		{"delay=1s,0,20ms", "delay", []string{"0ms", "20ms", "1s"}, []float64{0, 0.02, 1}},
		{"jitter=1,5ms", "jitter", []string{"1ms", "5ms"}, []float64{0.001, 0.005}},
		// 0 is an unlimited rate, not 0 mbit/s, and sorts first.
		{"bandwidth=10,0,1mbit", "bandwidth", []string{"unlimited", "1mbit", "10mbit"}, []float64{0, 1e6, 10e6}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			param, pts, err := ParseSweep(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.param, param)
			var texts []string
			var vals []float64
			for _, p := range pts {
				texts = append(texts, p.Text)
				vals = append(vals, p.Value)
			}
			assert.Equal(t, tc.texts, texts)
			assert.InDeltaSlice(t, tc.vals, vals, 1e-12)
		})
	}
	for _, bad := range []string{
		"loss",            // no values
		"speed=1,2",       // not a link setting
		"loss=2%",         // one value is not a sweep
		"loss=1,1%",       // the same point twice
		"loss=0,200%",     // not a share
		"loss=0,100%",     // nothing to measure
		"loss=0,,2%",      // an empty value
		"delay=0,-5ms",    // negative
		"bandwidth=1,2MB", // bytes are ambiguous
	} {
		_, _, err := ParseSweep(bad)
		assert.Error(t, err, bad)
	}
}

// Settings put the profile first and the impairments given over it, in
// both directions, and name the link for what it is.
func TestSpec(t *testing.T) {
	s := Settings{Profile: "4g", Loss: "5%", Delay: "40ms", Seed: 7}
	spec, err := s.Spec()
	require.NoError(t, err)
	assert.Equal(t, "4g+custom", spec.Name)
	assert.EqualValues(t, 7, spec.Seed)
	for _, c := range []link.Config{spec.Up, spec.Down} {
		assert.InDelta(t, 0.05, c.Loss, 1e-12)
		assert.Equal(t, 40*time.Millisecond, c.Delay)
	}
	four, err := link.Profile("4g")
	require.NoError(t, err)
	assert.Equal(t, four.Up.Bandwidth, spec.Up.Bandwidth, "the profile's own rate stands")

	spec, err = (&Settings{Bandwidth: "10mbit", Queue: "50"}).Spec()
	require.NoError(t, err)
	assert.Equal(t, "custom", spec.Name)
	assert.EqualValues(t, 10e6, spec.Down.Bandwidth)
	assert.Equal(t, 50, spec.Down.Queue)

	for _, bad := range []Settings{{Profile: "moon"}, {Loss: "lots"}, {Queue: "-1"}, {Burst: "x"}, {Delay: "fast"}} {
		_, err := bad.Spec()
		assert.Error(t, err, "%+v", bad)
	}
	assert.Error(t, (&Settings{CC: "bbr"}).Check())
}

// A sweep is one scenario per point, each named for its point and
// recording it, the swept setting in both directions.
func TestSweep(t *testing.T) {
	s := Settings{Delay: "10ms", Seed: 1}
	param, pts, err := ParseSweep("loss=0,2%")
	require.NoError(t, err)
	scs, err := s.Sweep(param, pts, s.Scenario)
	require.NoError(t, err)
	require.Len(t, scs, 2)
	assert.Equal(t, "loss=2%", scs[1].Record.Name)
	assert.InDelta(t, 0.02, scs[1].Record.Sweep.Value, 1e-12)
	assert.Equal(t, "share", scs[1].Record.Sweep.Unit, "the schema requires the unit of the value")
	assert.InDelta(t, 0.02, scs[1].Record.Down.Loss, 1e-12)
	assert.True(t, scs[1].Concurrent, "a path of milliseconds runs its latency rows side by side")
	_, err = (&Settings{Loss: "1%"}).Sweep(param, pts, s.Scenario)
	assert.ErrorContains(t, err, "keep one")
}
