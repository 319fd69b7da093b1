package link

import (
	"math/rand/v2"
	"time"
)

// Drop says why the link dropped a packet.
type Drop uint8

const (
	DropNone   Drop = iota // delivered
	DropLoss               // the loss model took it
	DropQueue              // the rate limit's queue was full (tail drop)
	DropTooBig             // larger than the MTU
)

// Fate is what the link does to one packet. Times are on the link's own
// clock: a Duration since the link started.
type Fate struct {
	Arrival time.Duration // when the packet was offered to the link
	Size    int           // bytes of the IP packet
	Drop    Drop
	// Release is when the packet leaves the far end of the link. It
	// starts at Arrival; the rate limit and the delay move it later.
	Release time.Duration
	// Ahead marks a packet sent ahead of the queue: the delay line lets it
	// through at once instead of behind the packets it holds.
	Ahead bool
	// Reordered is set when an Ahead packet did overtake a held one.
	Reordered bool
	// Copies is how many extra copies are delivered with the packet.
	Copies int
}

// An Effect is one impairment of one direction of a link, in the manner of
// Toxiproxy's toxics: each type does one thing to a packet's fate.
//
// Apply is called for every packet, in order, including packets an earlier
// effect dropped: an effect draws the same random values for every packet
// whatever happened to it, and only then looks at f.Drop. So the n-th
// packet's random fate depends only on the seed and n, not on timing,
// which is what lets a seed replay a run. An effect that keeps state
// (a burst, a queue) belongs to one direction of one link: do not share
// values between models.
type Effect interface {
	Apply(f *Fate, rng *rand.Rand)
}

// A Model is one direction's chain of effects and its random source.
// It is not safe for concurrent use; the relay serialises calls.
type Model struct {
	effects []Effect
	rng     *rand.Rand
	// f is the fate being decided. Effects take a pointer to it through an
	// interface, which would move a local Fate to the heap on every packet.
	f Fate
}

// NewModel chains effects, applied in the order given, drawing from rng.
func NewModel(rng *rand.Rand, effects ...Effect) *Model {
	return &Model{effects: effects, rng: rng}
}

// Decide returns the fate of a packet of size bytes offered at arrival.
// Arrivals must not go back in time.
func (m *Model) Decide(arrival time.Duration, size int) Fate {
	m.f = Fate{Arrival: arrival, Size: size, Release: arrival}
	for _, e := range m.effects {
		e.Apply(&m.f, m.rng)
	}
	return m.f
}

// Effects returns the chain c describes, in the order a packet meets
// them: the MTU check, loss, the rate limit and its queue, the reorder
// choice, the delay line, duplication. Loss comes before the queue so a
// lost packet takes no bandwidth; duplication comes last so both copies
// leave together, as when a retransmitting link layer repeats a frame.
func (c Config) Effects() []Effect {
	c = c.WithDefaults()
	effects := []Effect{MTU{Max: c.MTU}}
	switch {
	case c.Loss > 0 && c.BurstLen > 1:
		effects = append(effects, NewGilbertElliott(c.Loss, c.BurstLen))
	case c.Loss > 0:
		effects = append(effects, Bernoulli{P: c.Loss})
	}
	if c.Bandwidth > 0 {
		effects = append(effects, NewRateLimit(c.Bandwidth, c.Queue))
	}
	if c.Reorder > 0 {
		effects = append(effects, Reorder{P: c.Reorder})
	}
	if c.Delay > 0 || c.Jitter > 0 || c.Reorder > 0 {
		effects = append(effects, &DelayLine{Mean: c.Delay, Jitter: c.Jitter})
	}
	if c.Duplicate > 0 {
		effects = append(effects, Duplicate{P: c.Duplicate})
	}
	return effects
}

// Model returns a fresh model of c drawing from rng.
func (c Config) Model(rng *rand.Rand) *Model { return NewModel(rng, c.Effects()...) }
