package udp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHostIsSelf(t *testing.T) {
	ap := netip.MustParseAddrPort
	bound := host{self: ap("127.0.0.1:7007"), addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.5")}}
	every := host{self: ap("0.0.0.0:7007"), addrs: []netip.Addr{netip.MustParseAddr("192.0.2.5")}}
	for _, tc := range []struct {
		h    host
		src  string
		self bool
	}{
		{bound, "127.0.0.1:7007", true},
		{bound, "[::ffff:127.0.0.1]:7007", true},
		{bound, "127.0.0.1:7008", false},
		// A reply to another address would not reach a server bound to
		// one: no loop.
		{bound, "127.0.0.2:7007", false},
		{bound, "192.0.2.5:7007", false},
		// Bound to every address, any of the host's comes back to it.
		{every, "127.0.0.1:7007", true},
		{every, "127.9.9.9:7007", true},
		{every, "192.0.2.5:7007", true},
		{every, "[::1]:7007", true},
		{every, "192.0.2.6:7007", false},
		{every, "192.0.2.5:7008", false},
	} {
		assert.Equal(t, tc.self, tc.h.isSelf(ap(tc.src)), "%v from %s", tc.h.self, tc.src)
	}
}

func TestLoopGuard(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoopGuard(now)
	a, b := netip.MustParseAddrPort("127.0.0.1:4000"), netip.MustParseAddrPort("127.0.0.1:4001")
	assert.True(t, g.answer(a, []byte("x"), now), "first time: answered")
	assert.False(t, g.answer(a, []byte("x"), now.Add(time.Millisecond)), "our reply came straight back")
	assert.True(t, g.answer(b, []byte("x"), now), "another source")
	assert.True(t, g.answer(a, []byte("y"), now.Add(2*time.Millisecond)), "other bytes")
	assert.True(t, g.answer(a, []byte("y"), now.Add(2*time.Millisecond+loopWindow)), "the same bytes, much later: a client repeating itself")
}
