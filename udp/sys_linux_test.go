package udp

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netmatrix/internal/wire"
)

// listenSys opens a loopback socket and its sysIO.
func listenSys(t *testing.T, network, addr string, opt ioOptions) (*net.UDPConn, *sysIO) {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	s, ok := newPacketIO(pc, opt).(*sysIO)
	require.True(t, ok, "a host socket gets the raw batch path")
	return pc.(*net.UDPConn), s
}

// bulkRun fills a buffer with count bulk datagrams of size bytes.
func bulkRun(count, size int) []byte {
	b := make([]byte, count*size)
	for i := range count {
		wire.PutBulkDatagram(b[i*size:(i+1)*size], uint64(i), 1)
	}
	return b
}

// One GSO write arrives at a GRO reader as one run that splits back into
// the datagrams sent, in order.
func TestGSOWriteGRORead(t *testing.T) {
	rx, rs := listenSys(t, "udp4", "127.0.0.1:0", ioOptions{gro: true})
	_, ts := listenSys(t, "udp4", "127.0.0.1:0", ioOptions{gso: true})
	if !rs.gro || ts.segments(1400) == 1 {
		t.Skip("this kernel has no UDP GSO/GRO")
	}
	assert.Equal(t, 46, ts.segments(1400), "46 datagrams of 1400 bytes fit one 64 KB send")
	assert.Equal(t, maxGSOSegments, ts.segments(100), "the kernel's cap on segments")

	const count, size = 7, 1400
	run := bulkRun(count, size)
	dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	n, err := ts.writeBatch([]dgram{{buf: run, seg: size, from: dst}})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	ds := newDgrams(4, maxDatagram)
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(5*time.Second)))
	got := 0
	var msgs [][]byte
	for got < count*size {
		k, err := rs.readBatch(ds)
		require.NoError(t, err)
		for i := range k {
			got += ds[i].n
			ds[i].each(func(m []byte) { msgs = append(msgs, bytes.Clone(m)) })
		}
	}
	require.Len(t, msgs, count)
	for i, m := range msgs {
		seq, _, ok := CheckBulk(m)
		assert.True(t, ok)
		assert.Equal(t, uint64(i), seq)
	}
}

// When GSO fails (EIO from a device that cannot checksum), a run is sent
// datagram by datagram instead.
func TestWriteSplitSendsEachDatagram(t *testing.T) {
	rx, rs := listenSys(t, "udp4", "127.0.0.1:0", ioOptions{})
	_, ts := listenSys(t, "udp4", "127.0.0.1:0", ioOptions{})
	const count, size = 5, 300
	dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	n, err := ts.writeSplit([]dgram{{buf: bulkRun(count, size), seg: size, from: dst}})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	ds := newDgrams(count, 2048)
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(5*time.Second)))
	for got := 0; got < count; {
		k, err := rs.readBatch(ds)
		require.NoError(t, err)
		for i := range k {
			assert.Equal(t, size, ds[i].n, "a datagram of its own")
			assert.Zero(t, ds[i].seg)
		}
		got += k
	}
}

func TestSockaddrRoundTrip(t *testing.T) {
	v4 := &sysIO{family: unix.AF_INET}
	v6 := &sysIO{family: unix.AF_INET6}
	for _, tc := range []struct {
		name string
		s    *sysIO
		ap   string
		want string // what reading the sockaddr back gives
	}{
		{"v4 socket", v4, "127.0.0.1:7007", "127.0.0.1:7007"},
		{"v4 socket, mapped address", v4, "[::ffff:127.0.0.1]:9", "127.0.0.1:9"},
		{"v6 socket", v6, "[::1]:65535", "[::1]:65535"},
		{"v6 socket, v4 peer", v6, "127.0.0.1:1", "[::ffff:127.0.0.1]:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sa unix.RawSockaddrInet6
			_, n := tc.s.putSockaddr(&sa, netip.MustParseAddrPort(tc.ap))
			assert.NotZero(t, n)
			assert.Equal(t, tc.want, sockaddrAddrPort(&sa).String())
		})
	}
}

// Echo on IPv6 and on a dual-stack socket answering an IPv4 client: the
// reply goes back in the socket's own address family.
func TestEchoAddressFamilies(t *testing.T) {
	for _, tc := range []struct{ name, network, listen, dial string }{
		{"ipv6", "udp6", "[::1]:0", "::1"},
		{"dual stack, ipv4 client", "udp", "[::]:0", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.ListenPacket(tc.network, tc.listen)
			if err != nil {
				t.Skipf("no %s here: %v", tc.name, err)
			}
			addr := startOn(t, pc, (&EchoServer{}).Serve)
			_, port, _ := net.SplitHostPort(addr)
			c, err := Dial(t.Context(), dialer, net.JoinHostPort(tc.dial, port))
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.WriteMsg([]byte("which family?")))
			require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
			buf := make([]byte, 64)
			n, err := c.ReadMsg(buf)
			require.NoError(t, err)
			assert.Equal(t, "which family?", string(buf[:n]))
		})
	}
}

// A busy-polling read still honours its deadline, wakes for a datagram
// that comes long after the busy-poll gave up, and ends when the socket
// is closed.
func TestBusyPollRead(t *testing.T) {
	addr := start(t, (&Sink{}).Serve) // only a place to connect to
	c, err := Dial(t.Context(), dialer, addr)
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 64)

	t.Run("deadline", func(t *testing.T) {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		t0 := time.Now()
		_, err := c.ReadMsg(buf)
		assert.True(t, isTimeoutErr(err), "got %v", err)
		assert.Less(t, time.Since(t0), time.Second)
	})
	t.Run("late datagram", func(t *testing.T) {
		peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(t, err)
		defer peer.Close()
		// A second client socket connected to peer, so peer can answer it.
		c2, err := Dial(t.Context(), dialer, peer.LocalAddr().String())
		require.NoError(t, err)
		defer c2.Close()
		time.AfterFunc(50*time.Millisecond, func() { peer.WriteTo([]byte("late"), c2.LocalAddr()) })
		require.NoError(t, c2.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := c2.ReadMsg(buf)
		require.NoError(t, err)
		assert.Equal(t, "late", string(buf[:n]))
	})
	t.Run("close", func(t *testing.T) {
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		time.AfterFunc(20*time.Millisecond, func() { c.Close() })
		_, err := c.ReadMsg(buf)
		assert.ErrorIs(t, err, net.ErrClosed)
	})
}

func isTimeoutErr(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
