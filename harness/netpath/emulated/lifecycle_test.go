package emulated

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/pathtest"
)

// TestEmulatedCancelStopsEverything cancels the path's context in the
// middle of a run, with goroutines blocked in Accept, Read, Write and
// ReadFrom, and checks that all of them return and nothing is left.
func TestCancelStopsEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(ctx, link.Symmetric(linktest.Lossy, 1), netpath.Options{})
	require.NoError(t, err)
	waitStopped := pathtest.BlockOnPath(t, ctx, p)
	cancel()
	waitStopped()
	require.NoError(t, p.Close()) // a second Close is harmless
}

func TestCloseAfterUse(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	p, err := New(ctx, link.Symmetric(link.Config{Delay: time.Millisecond}, 1), netpath.Options{})
	require.NoError(t, err)
	tr := pathtest.TCPTransfer(t, ctx, p, 1<<20, 3)
	require.NoError(t, tr.Err)
	require.Equal(t, tr.Sent, tr.Got)
	require.NoError(t, p.Close())
	_, err = p.Client().Dial(ctx, "tcp", "10.0.0.2:1")
	assert.Error(t, err, "dial on a closed path")
}

func TestDialCancelled(t *testing.T) {
	// A SYN into a link that loses everything: only ctx ends the dial.
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{Up: link.Config{Loss: 0.999}, Seed: 1})
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := p.Client().Dial(dctx, "tcp", "10.0.0.2:80")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestConnOptions(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	assert.Equal(t, "10.0.0.2", p.ServerHost())

	dialed, acc := pathtest.TCPPair(t, ctx, p)
	assert.Equal(t, "10.0.0.1", acc.RemoteAddr().(*net.TCPAddr).IP.String())

	// Loss recovery is RACK-TLP's, or SACK's alone where asked.
	sackOnly := newTestPath(t, ctx, link.Spec{}, netpath.Options{SACKRecovery: true})
	for _, h := range []*host{p.client, p.server, sackOnly.client, sackOnly.server} {
		var recovery tcpip.TCPRecovery
		require.Nil(t, h.stack.TransportProtocolOption(tcp.ProtocolNumber, &recovery))
		if h == sackOnly.client || h == sackOnly.server {
			assert.Zero(t, recovery)
		} else {
			assert.Equal(t, tcpip.TCPRACKLossDetection, recovery)
		}
	}

	type tcpOptions interface {
		SetNoDelay(bool) error
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	for _, c := range []net.Conn{dialed, acc} {
		o, ok := c.(tcpOptions)
		require.True(t, ok, "%T lacks the TCP socket options", c)
		ec := c.(*TCPConn)
		assert.False(t, ec.ep.SocketOptions().GetDelayOption(), "Nagle starts off, as in Go's net")
		require.NoError(t, o.SetNoDelay(false))
		assert.True(t, ec.ep.SocketOptions().GetDelayOption())
		require.NoError(t, o.SetNoDelay(true))
		assert.False(t, ec.ep.SocketOptions().GetDelayOption())
		require.NoError(t, o.SetReadBuffer(1<<20))
		require.NoError(t, o.SetWriteBuffer(1<<20))
	}
}

func TestPacketConnForQUIC(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	srv, err := p.Server().ListenPacket(ctx, "udp", ":4433")
	require.NoError(t, err)
	defer srv.Close()
	cli, err := p.Client().ListenPacket(ctx, "udp", "0.0.0.0:0")
	require.NoError(t, err)
	defer cli.Close()

	// quic-go sizes its socket buffers through these.
	for _, pc := range []net.PacketConn{srv, cli} {
		bufs, ok := pc.(interface {
			SetReadBuffer(int) error
			SetWriteBuffer(int) error
		})
		require.True(t, ok)
		require.NoError(t, bufs.SetReadBuffer(7<<20))
		require.NoError(t, bufs.SetWriteBuffer(7<<20))
	}

	// net.ParseIP gives IPv4 in 16 bytes; the wrapper must still send
	// IPv4.
	to := &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 4433}
	require.Len(t, to.IP, net.IPv6len)
	_, err = cli.WriteTo([]byte("hello"), to)
	require.NoError(t, err)
	buf := make([]byte, 100)
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, from, err := srv.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))
	assert.Equal(t, "10.0.0.1", from.(*net.UDPAddr).IP.String())

	// And back, to the address ReadFrom reported.
	_, err = srv.WriteTo([]byte("world"), from)
	require.NoError(t, err)
	require.NoError(t, cli.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err = cli.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "world", string(buf[:n]))

	// A deadline in the past times out as net's conns do.
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(-time.Second)))
	_, _, err = srv.ReadFrom(buf)
	var ne net.Error
	require.True(t, errors.As(err, &ne))
	assert.True(t, ne.Timeout())
}

func TestAddressErrors(t *testing.T) {
	ctx := pathtest.Context(t, 10*time.Second)
	p := newTestPath(t, ctx, link.Spec{})
	cases := append(pathtest.RefusedAddresses(ctx, p, "10.0.0.1"), pathtest.Refusal{Name: "bad port", Call: func() error {
		_, err := p.Server().Listen(ctx, "tcp", ":http")
		return err
	}})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) { assert.Error(t, tc.Call()) })
	}
	_, err := New(ctx, link.Spec{}, netpath.Options{CongestionControl: "bbr"})
	assert.ErrorContains(t, err, "reno or cubic")
	_, err = New(ctx, link.Spec{Down: link.Config{Jitter: -1}}, netpath.Options{})
	assert.ErrorContains(t, err, "negative")
}

func TestCubicOnCleanPath(t *testing.T) {
	ctx := pathtest.Context(t, 30*time.Second)
	p := newTestPath(t, ctx, link.Symmetric(link.Config{Delay: time.Millisecond}, 1), netpath.Options{CongestionControl: "cubic"})
	tr := pathtest.TCPTransfer(t, ctx, p, 4<<20, 5)
	require.NoError(t, tr.Err)
	assert.Equal(t, tr.Sent, tr.Got)
}
