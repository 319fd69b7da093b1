package harness

import (
	"sync"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
)

// tapMux shares a path's one tap among the flows of a run: a run both
// ways watches the segments of two TCP connections, one for the server
// half, one for the client. Its SetTap adds a tap rather than replacing
// the last.
type tapMux struct {
	p    netpath.Tapper
	mu   sync.Mutex
	taps []link.Tap
}

// newTapMux is p's tap shared, or nil where p shows no packets.
func newTapMux(p netpath.Path) *tapMux {
	tp, ok := p.(netpath.Tapper)
	if !ok {
		return nil
	}
	return &tapMux{p: tp}
}

// SetTap adds t to the taps that see every packet delivered from now on.
func (m *tapMux) SetTap(t link.Tap) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.taps = append(m.taps, t)
	if len(m.taps) == 1 {
		m.p.SetTap(t)
		return
	}
	taps := append([]link.Tap(nil), m.taps...)
	m.p.SetTap(func(d link.Dir, at int64, pk link.Packet) {
		for _, t := range taps {
			t(d, at, pk)
		}
	})
}
