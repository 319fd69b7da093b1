package link

import "math/rand/v2"

// MTU drops packets larger than Max bytes. It draws nothing.
type MTU struct{ Max int }

func (m MTU) Apply(f *Fate, _ *rand.Rand) {
	if f.Drop == DropNone && f.Size > m.Max {
		f.Drop = DropTooBig
	}
}

// Bernoulli loses each packet independently with probability P.
type Bernoulli struct{ P float64 }

func (b Bernoulli) Apply(f *Fate, rng *rand.Rand) {
	if rng.Float64() < b.P && f.Drop == DropNone {
		f.Drop = DropLoss
	}
}

// GilbertElliott loses packets in bursts: a two-state Markov chain (the
// simple Gilbert model of RFC 3611's burst metrics and ITU-T G.1050) in
// which every packet is lost in the bad state and none in the good one.
// Leaving the bad state with probability 1/BurstLen makes bursts
// geometric with mean BurstLen; entering it with probability
// Loss/((1-Loss)*BurstLen) makes the long-run loss share Loss.
type GilbertElliott struct {
	toBad, toGood float64
	bad           bool
}

// NewGilbertElliott returns a burst-loss model with the given long-run loss
// share and mean burst length in packets (> 1).
func NewGilbertElliott(loss, burstLen float64) *GilbertElliott {
	toGood := 1 / burstLen
	return &GilbertElliott{toBad: loss * toGood / (1 - loss), toGood: toGood}
}

func (g *GilbertElliott) Apply(f *Fate, rng *rand.Rand) {
	// The state moves on every packet, dropped or not: a burst is a
	// stretch of time on the link, not of surviving packets.
	u := rng.Float64()
	if g.bad {
		g.bad = u >= g.toGood
	} else {
		g.bad = u < g.toBad
	}
	if g.bad && f.Drop == DropNone {
		f.Drop = DropLoss
	}
}
