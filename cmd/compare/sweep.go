package main

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

// sweepPoint is one value of a -sweep: as typed, parsed, and how it sets
// a link.
type sweepPoint struct {
	text  string
	value float64 // results.Sweep.Value: share, seconds or bits per second
	set   func(c *link.Config)
}

// parseSweep reads -sweep PARAM=V1,V2,...: loss=0,0.5,1,2,5,10%,
// delay=0,10,50ms, jitter=..., bandwidth=1,10,100mbit. A unit on the last
// value goes to every bare number before it ("0,1,2%" is 0%, 1%, 2%), so
// the way of writing a sweep reads as a person means it. Values
// are run in increasing order; the same value twice is refused.
func parseSweep(s string) (param string, points []sweepPoint, err error) {
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
	slices.SortStableFunc(points, func(a, b sweepPoint) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return 0
	})
	for i := 1; i < len(points); i++ {
		if points[i].value == points[i-1].value {
			return "", nil, fmt.Errorf("-sweep %s: %s and %s are the same setting", param, points[i-1].text, points[i].text)
		}
	}
	if len(points) < 2 {
		return "", nil, fmt.Errorf("-sweep %s: a sweep needs at least two values", param)
	}
	return param, points, nil
}

// sweepValue parses one value with the link flags' own parsers.
func sweepValue(param, text string) (sweepPoint, error) {
	pt := sweepPoint{text: text}
	switch param {
	case "loss":
		v, err := link.ParseShare(text)
		if err != nil {
			return pt, err
		}
		if v >= 1 {
			return pt, fmt.Errorf("loss %s leaves nothing to measure", text)
		}
		pt.value, pt.set = v, func(c *link.Config) { c.Loss = v }
	case "delay", "jitter":
		v, err := link.ParseDuration(text)
		if err != nil {
			return pt, err
		}
		pt.value = v.Seconds()
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
			pt.text = "unlimited"
		}
		pt.value, pt.set = float64(v), func(c *link.Config) { c.Bandwidth = v }
	}
	return pt, nil
}

// sweepScenarios makes one scenario per point on the emulated or kernel
// path: the path the
// link flags (or the profile) describe, with the swept setting in both
// directions, and the same seed at every point so that each meets the
// same packet fates but for what the setting changes.
func (lf *linkFlags) sweepScenarios(param string, points []sweepPoint) ([]harness.Scenario, error) {
	if lf.kind != "emulated" && lf.kind != "kernel" {
		return nil, fmt.Errorf("-sweep needs an impaired link (-link emulated or kernel), not -link %s", lf.kind)
	}
	if lf.flagValue(param) != "" {
		return nil, fmt.Errorf("-sweep %s and -%s both set %s; keep one", param, param, param)
	}
	if err := lf.checkCC(); err != nil {
		return nil, err
	}
	opts, err := lf.options()
	if err != nil {
		return nil, err
	}
	base, err := lf.spec()
	if err != nil {
		return nil, err
	}
	var out []harness.Scenario
	for _, pt := range points {
		spec := base
		spec.Name = param + "=" + pt.text
		spec.Both(pt.set)
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("-sweep %s=%s: %w", param, pt.text, err)
		}
		sc := lf.path(spec, opts)
		sc.Record.Sweep = &results.Sweep{Param: param, Value: pt.value, Text: pt.text}
		out = append(out, sc)
	}
	return out, nil
}

// flagValue is the impairment flag named param, as given ("" if not).
func (lf *linkFlags) flagValue(param string) string {
	return map[string]string{"loss": lf.loss, "delay": lf.delay, "jitter": lf.jitter, "bandwidth": lf.bandwidth}[param]
}
