package quic

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// errTooManyConns refuses a handshake from an address at its limit.
var errTooManyConns = errors.New("quic: too many connections from one address")

// sources counts a server's open connections by source address, to hold
// each address to Config.MaxConnsPerSource.
type sources struct {
	mu   sync.Mutex
	open map[netip.Addr]int
	max  int
}

func newSources(max int) *sources {
	return &sources{open: make(map[netip.Addr]int), max: max}
}

// full reports whether a has as many connections as it may. A handshake
// from it is refused before the server does any work for it.
func (s *sources) full(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[a] >= s.max
}

// add counts a connection from a that completed its handshake, or
// reports false if a is at its limit: handshakes that ran side by side
// all passed full, and only so many of them may stay.
func (s *sources) add(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[a] >= s.max {
		return false
	}
	s.open[a]++
	return true
}

// done forgets a connection add counted.
func (s *sources) done(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[a]--; s.open[a] <= 0 {
		delete(s.open, a)
	}
}

// sourceOf is the address a connection comes from, without its port.
func sourceOf(addr net.Addr) netip.Addr {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return ua.AddrPort().Addr().Unmap()
	}
	ap, _ := netip.ParseAddrPort(addr.String())
	return ap.Addr().Unmap()
}
