package link

import (
	"math/rand/v2"
	"time"
)

// DelayLine holds each packet for Mean plus a normally distributed jitter
// of standard deviation Jitter (cut at zero), in the manner of netem. It
// keeps order, as a real link's queues do: a packet is released at the
// later of its own time and the release of the packet before it, so at
// spacings below the jitter dense packets see the upper part of the
// distribution. Packets marked Ahead (see Reorder) skip the line and
// leave at once, overtaking whatever it still holds; this is netem's
// reordering, and like it needs a delay to have anything to overtake.
type DelayLine struct {
	Mean   time.Duration
	Jitter time.Duration
	last   time.Duration // release time of the last packet in order
}

func (d *DelayLine) Apply(f *Fate, rng *rand.Rand) {
	hold := d.Mean
	if d.Jitter > 0 {
		hold += time.Duration(rng.NormFloat64() * float64(d.Jitter))
		hold = max(hold, 0)
	}
	if f.Drop != DropNone {
		return
	}
	if f.Ahead {
		f.Reordered = f.Release < d.last
		return
	}
	f.Release = max(f.Release+hold, d.last)
	d.last = f.Release
}

// Reorder marks a share P of packets to be sent ahead of the queue; the
// delay line lets them overtake. It must come before the DelayLine.
type Reorder struct{ P float64 }

func (r Reorder) Apply(f *Fate, rng *rand.Rand) {
	if rng.Float64() < r.P && f.Drop == DropNone {
		f.Ahead = true
	}
}

// Duplicate delivers a share P of packets twice, both copies together.
type Duplicate struct{ P float64 }

func (d Duplicate) Apply(f *Fate, rng *rand.Rand) {
	if rng.Float64() < d.P && f.Drop == DropNone {
		f.Copies++
	}
}
