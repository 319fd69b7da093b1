package udp

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forge sends one UDP datagram over IPv4 loopback with any source
// address, as a raw socket lets root do; without root the test skips.
func forge(t *testing.T, from, to netip.AddrPort, payload []byte) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		t.Skipf("forging a source address takes a raw socket, which needs root (uid %d): %v", os.Geteuid(), err)
	}
	require.NoError(t, err)
	defer syscall.Close(fd)
	// IPPROTO_RAW sends our own IP header; the kernel fills in its
	// checksum and identification. A UDP checksum of zero means none.
	pkt := make([]byte, 20+8+len(payload))
	pkt[0] = 0x45 // IPv4, five 32-bit words of header
	binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
	pkt[8] = 64 // TTL
	pkt[9] = syscall.IPPROTO_UDP
	src, dst := from.Addr().As4(), to.Addr().As4()
	copy(pkt[12:], src[:])
	copy(pkt[16:], dst[:])
	binary.BigEndian.PutUint16(pkt[20:], from.Port())
	binary.BigEndian.PutUint16(pkt[22:], to.Port())
	binary.BigEndian.PutUint16(pkt[24:], uint16(8+len(payload)))
	copy(pkt[28:], payload)
	require.NoError(t, syscall.Sendto(fd, pkt, 0, &syscall.SockaddrInet4{Addr: dst}))
}

func startEchoAt(t *testing.T) (*EchoServer, netip.AddrPort) {
	t.Helper()
	srv := &EchoServer{}
	addr := start(t, srv.Serve)
	return srv, netip.MustParseAddrPort(addr)
}

// The probe: one datagram "from" the server to itself used to be
// answered to itself for ever (1.4 million replies in 10 s).
func TestEchoIgnoresItsOwnAddress(t *testing.T) {
	srv, addr := startEchoAt(t)
	forge(t, addr, addr, []byte("from yourself"))
	require.Eventually(t, func() bool { return srv.Stats().Received > 0 }, 2*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond) // room for a loop to show
	st := srv.Stats()
	assert.Equal(t, uint64(1), st.Received, "the server read its own replies")
	assert.Zero(t, st.Answered)
	assert.Equal(t, uint64(1), st.Refused)
}

// One datagram forged between two echo servers on this host: each answers
// the other once, then the first sees its own reply come back and stops.
func TestTwoEchoServersStopAfterAForgedDatagram(t *testing.T) {
	a, aAddr := startEchoAt(t)
	b, bAddr := startEchoAt(t)
	forge(t, bAddr, aAddr, []byte("ping-pong"))
	stopped := assert.Eventually(t, func() bool { return a.Stats().Refused > 0 }, 2*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond) // room for a loop to go on
	sa, sb := a.Stats(), b.Stats()
	require.True(t, stopped, "the loop did not stop: %d and %d replies", sa.Answered, sb.Answered)
	assert.LessOrEqual(t, sa.Answered+sb.Answered, uint64(4), "replies between the two servers")
	assert.Equal(t, uint64(1), sa.Answered)
	assert.Equal(t, uint64(1), sb.Answered)
}
