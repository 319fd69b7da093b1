package link

import (
	"fmt"
	"math/rand/v2"
)

// Dir is a direction of the link.
type Dir int

const (
	Up   Dir = iota // client to server
	Down            // server to client
)

func (d Dir) String() string {
	if d == Up {
		return "up"
	}
	return "down"
}

// Spec is a whole link: both directions and the seed of every random
// choice on it. The zero value is a clean link with seed 0.
type Spec struct {
	// Name is the profile the spec came from, if any; for reports.
	Name string
	Up   Config // client to server
	Down Config // server to client
	// Seed drives both directions' random sources: the same seed gives
	// the same fate to the same packet sequence.
	Seed uint64
}

// Symmetric returns a spec with c in both directions.
func Symmetric(c Config, seed uint64) Spec { return Spec{Up: c, Down: c, Seed: seed} }

// Both applies set to both directions, as a command-line flag does.
func (s *Spec) Both(set func(*Config)) {
	set(&s.Up)
	set(&s.Down)
}

// Config returns the configuration of direction d.
func (s Spec) Config(d Dir) Config {
	if d == Up {
		return s.Up
	}
	return s.Down
}

// Validate checks both directions.
func (s Spec) Validate() error {
	if err := s.Up.Validate(); err != nil {
		return fmt.Errorf("up: %w", err)
	}
	if err := s.Down.Validate(); err != nil {
		return fmt.Errorf("down: %w", err)
	}
	return nil
}

// Rand returns direction d's random source, derived from the seed. The
// two directions draw from separate PCG streams, so traffic one way never
// shifts the fate of packets the other way.
func (s Spec) Rand(d Dir) *rand.Rand {
	return rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15^uint64(d+1)))
}

// Model returns a fresh model of direction d with its own random source.
func (s Spec) Model(d Dir) *Model { return s.Config(d).Model(s.Rand(d)) }
