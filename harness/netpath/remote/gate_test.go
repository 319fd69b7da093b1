package remote

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
)

// silent reports whether c answers nothing to msg within a while.
func silent(t *testing.T, c net.Conn, msg []byte) bool {
	t.Helper()
	c.Write(msg)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 2048))
	return n == 0 && err != nil
}

// A session's echo server halves answer only what is bound to the
// session: a TCP connection without the token, a UDP socket that has not
// passed the return check, or one that proves with a cookie sent to
// another address, gets nothing.
func TestGateAnswersOnlyTheSession(t *testing.T) {
	s := dial(t, server(t, nil))
	token := s.w.Token
	probe := []byte("an echo request, please")

	tf, err := s.Start(t.Context(), half.Spec{Workload: catalog.Echo, Transport: catalog.TCP})
	require.NoError(t, err)
	defer tf.Stop()
	c, err := net.Dial("tcp", tf.Addr())
	require.NoError(t, err)
	assert.True(t, silent(t, c, probe), "no token, no echo")
	c.Close()
	c, err = net.Dial("tcp", tf.Addr())
	require.NoError(t, err)
	require.NoError(t, tf.Bind(t.Context(), c))
	assert.False(t, silent(t, c, probe), "the token, and the echo")
	c.Close()

	uf, err := s.Start(t.Context(), half.Spec{Workload: catalog.Echo, Transport: catalog.UDP})
	require.NoError(t, err)
	defer uf.Stop()
	stranger, err := net.Dial("udp", uf.Addr())
	require.NoError(t, err)
	defer stranger.Close()
	assert.True(t, silent(t, stranger, probe), "not admitted: no echo")
	assert.True(t, silent(t, stranger, gateMsg('K', make([]byte, tokenLen))), "a knock with the wrong token gets no cookie")

	// A cookie is good from the address it was sent to, and no other.
	a, err := net.Dial("udp", uf.Addr())
	require.NoError(t, err)
	defer a.Close()
	a.Write(gateMsg('K', token))
	a.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 64)
	n, err := a.Read(buf)
	require.NoError(t, err)
	require.Equal(t, knockLen, n, "the cookie is no larger than the knock")
	cookie := append([]byte(nil), buf[len(gateMagic)+1:n]...)
	assert.True(t, silent(t, stranger, gateMsg('P', token, cookie)), "another address cannot use a's cookie")
	assert.True(t, silent(t, stranger, probe), "and is still not admitted")

	require.NoError(t, uf.Bind(t.Context(), a))
	assert.False(t, silent(t, a, probe), "admitted: echoed")
}
