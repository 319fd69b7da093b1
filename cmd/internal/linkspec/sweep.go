package linkspec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/results"
	"netmatrix/results/report"
)

// A SweepPoint is one value of a sweep: as typed, parsed, and how it
// sets a link.
type SweepPoint struct {
	Text  string
	Value float64 // results.Sweep.Value: share, seconds or bits per second
	set   func(c *link.Config)
}

// ParseSweep reads PARAM=V1,V2,...: loss=0,0.5,1,2,5,10%,
// delay=0,10,50ms, jitter=..., bandwidth=1,10,100mbit. A unit on the last
// value goes to every bare number before it ("0,1,2%" is 0%, 1%, 2%), so
// a sweep reads as a person means it. Values are run in increasing
// order; the same value twice is refused.
func ParseSweep(s string) (param string, points []SweepPoint, err error) {
	param, list, ok := strings.Cut(s, "=")
	param = strings.ToLower(strings.TrimSpace(param))
	if !ok || !slices.Contains(report.SweepParams, param) {
		return "", nil, fmt.Errorf("-sweep %q: want PARAM=V1,V2,... with PARAM one of %s", s, strings.Join(report.SweepParams, ", "))
	}
	texts := strings.Split(list, ",")
	for i := range texts {
		texts[i] = strings.TrimSpace(texts[i])
	}
	unit := strings.TrimLeft(texts[len(texts)-1], "0123456789.+-eE")
	for i, t := range texts {
		if t == "" {
			return "", nil, fmt.Errorf("-sweep %s: empty value", param)
		}
		// A bare 0 gets the unit too ("0%" reads better in a table),
		// but for bandwidth, where 0 is unlimited, not a rate.
		if _, err := strconv.ParseFloat(t, 64); err == nil && (t != "0" || param != "bandwidth") {
			texts[i] = t + unit
		}
		pt, err := sweepValue(param, texts[i])
		if err != nil {
			return "", nil, fmt.Errorf("-sweep %s: %w", param, err)
		}
		points = append(points, pt)
	}
	slices.SortStableFunc(points, func(a, b SweepPoint) int {
		switch {
		case a.Value < b.Value:
			return -1
		case a.Value > b.Value:
			return 1
		}
		return 0
	})
	for i := 1; i < len(points); i++ {
		if points[i].Value == points[i-1].Value {
			return "", nil, fmt.Errorf("-sweep %s: %s and %s are the same setting", param, points[i-1].Text, points[i].Text)
		}
	}
	if len(points) < 2 {
		return "", nil, fmt.Errorf("-sweep %s: a sweep needs at least two values", param)
	}
	return param, points, nil
}

// sweepValue parses one value with the link settings' own parsers.
func sweepValue(param, text string) (SweepPoint, error) {
	pt := SweepPoint{Text: text}
	switch param {
	case "loss":
		v, err := link.ParseShare(text)
		if err != nil {
			return pt, err
		}
		if v >= 1 {
			return pt, fmt.Errorf("loss %s leaves nothing to measure", text)
		}
		pt.Value, pt.set = v, func(c *link.Config) { c.Loss = v }
	case "delay", "jitter":
		v, err := link.ParseDuration(text)
		if err != nil {
			return pt, err
		}
		pt.Value = v.Seconds()
		if param == "delay" {
			pt.set = func(c *link.Config) { c.Delay = v }
		} else {
			pt.set = func(c *link.Config) { c.Jitter = v }
		}
	case "bandwidth":
		v, err := link.ParseBandwidth(text)
		if err != nil {
			return pt, err
		}
		if v == 0 {
			pt.Text = "unlimited"
		}
		pt.Value, pt.set = float64(v), func(c *link.Config) { c.Bandwidth = v }
	}
	return pt, nil
}

// Sweep makes one scenario per point: the link the settings describe,
// with the swept setting in both directions, and the same seed at every
// point so that each meets the same packet fates but for what the
// setting changes. path makes a point's scenario from its link
// (s.Scenario for the emulated path).
func (s *Settings) Sweep(param string, points []SweepPoint, path func(link.Spec) harness.Scenario) ([]harness.Scenario, error) {
	if s.Value(param) != "" {
		return nil, fmt.Errorf("-sweep %s and -%s both set %s; keep one", param, param, param)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	base, err := s.Spec()
	if err != nil {
		return nil, err
	}
	var out []harness.Scenario
	for _, pt := range points {
		spec := base
		spec.Name = param + "=" + pt.Text
		spec.Both(pt.set)
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("-sweep %s=%s: %w", param, pt.Text, err)
		}
		sc := path(spec)
		sc.Record.Sweep = &results.Sweep{Param: param, Value: pt.Value, Unit: results.SweepUnit(param), Text: pt.Text}
		out = append(out, sc)
	}
	return out, nil
}
