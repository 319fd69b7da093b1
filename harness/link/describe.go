package link

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe says in a line what the direction does to packets ("2.0%
// loss, 20ms delay ± 2ms, no rate limit"): the one wording every report,
// page and log line uses for a link.
func (c Config) Describe() string {
	c = c.WithDefaults()
	var parts []string
	loss := "no loss"
	if c.Loss > 0 {
		loss = percent(c.Loss) + " loss"
		if c.BurstLen > 1 {
			loss += fmt.Sprintf(" in bursts of %g", c.BurstLen)
		}
	}
	parts = append(parts, loss)
	delay := "no delay"
	if c.Delay > 0 || c.Jitter > 0 {
		delay = c.Delay.String() + " delay"
		if c.Jitter > 0 {
			delay += " ± " + c.Jitter.String()
		}
	}
	parts = append(parts, delay)
	if c.Reorder > 0 {
		parts = append(parts, percent(c.Reorder)+" reordered")
	}
	if c.Duplicate > 0 {
		parts = append(parts, percent(c.Duplicate)+" duplicated")
	}
	if c.Bandwidth > 0 {
		mbps := float64(c.Bandwidth) / 1e6
		digits := 0
		if mbps < 10 {
			digits = 2
		}
		parts = append(parts, fmt.Sprintf("%s Mbit/s with a %d-packet queue", strconv.FormatFloat(mbps, 'f', digits, 64), c.Queue))
	} else {
		parts = append(parts, "no rate limit")
	}
	if c.MTU != DefaultMTU {
		parts = append(parts, fmt.Sprintf("MTU %d", c.MTU))
	}
	return strings.Join(parts, ", ")
}

// Describe says in a line what the link does each way and its seed
// ("lossy: 2.0% loss, 20ms delay ± 2ms, no rate limit each way, seed 1").
func (s Spec) Describe() string {
	var b strings.Builder
	if s.Name != "" {
		b.WriteString(s.Name + ": ")
	}
	up, down := s.Up.Describe(), s.Down.Describe()
	if up == down {
		b.WriteString(up + " each way")
	} else {
		b.WriteString("up: " + up + "; down: " + down)
	}
	fmt.Fprintf(&b, ", seed %d", s.Seed)
	return b.String()
}

// percent is a share as a percentage with a decimal below 10%: "2.0%",
// "0.5%", "15%".
func percent(share float64) string {
	p := 100 * share
	if p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// String is what the direction did, in a line: every counter.
func (c Counters) String() string {
	return fmt.Sprintf("%d packets, %d forwarded, %d lost, %d queue drops, %d too big, %d duplicated, %d reordered",
		c.Packets, c.Forwarded, c.Lost, c.QueueDrops, c.TooBig, c.Duplicated, c.Reordered)
}
