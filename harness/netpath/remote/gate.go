package remote

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"netmatrix/harness/netpath"
	"netmatrix/udp"
)

// The gate binds a session's data flows to the session, and keeps the
// server from sending UDP to an address that did not ask for it.
//
// A TCP connection to a server half starts with the session's token,
// before any byte of the flow; a connection that does not send it within
// gateTimeout is closed unseen by the server half.
//
// A UDP socket must pass a return-routability check (the shape of QUIC's
// Retry, RFC 9000 section 8.1) before a server half reads a datagram from
// it or sends one to it:
//
//	client: knock  = magic 'K' token            (21 bytes)
//	server: cookie = magic 'C' HMAC(addr)[:16]  (21 bytes)
//	client: prove  = magic 'P' token cookie     (37 bytes)
//	server: admit  = magic 'A'                  (5 bytes)
//
// The cookie goes to the address the knock came from, so only a client
// that receives there can prove it; the token (secret, over TLS) keeps
// strangers from knocking at all. No answer is larger than what it
// answers, so a forged source address gets nothing amplified. Until its
// address is admitted, a socket's datagrams are dropped and nothing is
// sent to it.
const (
	gateMagic   = "NMXG"
	tokenLen    = 16
	cookieLen   = 16
	knockLen    = len(gateMagic) + 1 + tokenLen
	proveLen    = knockLen + cookieLen
	gateTimeout = 5 * time.Second
	// gateRetry is how long a client waits for an answer before it
	// knocks again: a datagram of the check may be lost.
	gateRetry = 200 * time.Millisecond
	// maxAdmitted bounds the addresses one server half admits.
	maxAdmitted = 8
)

// ErrNotBound reports a data flow the server did not take as the
// session's.
var ErrNotBound = errors.New("remote: the server did not admit this flow (return check)")

// gate is a session's: its token and the secret its cookies are made with.
type gate struct {
	token  []byte
	secret [32]byte
}

func newGate() (*gate, error) {
	g := &gate{token: make([]byte, tokenLen)}
	if _, err := rand.Read(g.token); err != nil {
		return nil, fmt.Errorf("remote: session token: %w", err)
	}
	if _, err := rand.Read(g.secret[:]); err != nil {
		return nil, fmt.Errorf("remote: session secret: %w", err)
	}
	return g, nil
}

func (g *gate) cookie(from netip.AddrPort) []byte {
	m := hmac.New(sha256.New, g.secret[:])
	b, _ := from.MarshalBinary()
	m.Write(b)
	return m.Sum(nil)[:cookieLen]
}

func (g *gate) tokenOK(b []byte) bool { return subtle.ConstantTimeCompare(b, g.token) == 1 }

// gateMsg is a check's message: magic, kind, parts.
func gateMsg(kind byte, parts ...[]byte) []byte {
	b := append([]byte(gateMagic), kind)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// network is the server host's network as a session's server halves see
// it: host sockets, each listener and datagram socket behind the gate.
type network struct {
	g *gate
}

var _ netpath.Network = network{}

func (n network) Listen(ctx context.Context, netw, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, netw, addr)
	if err != nil {
		return nil, err
	}
	return newTokenListener(ln, n.g), nil
}

func (n network) ListenPacket(ctx context.Context, netw, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, netw, addr)
	if err != nil {
		return nil, err
	}
	return &gatedConn{PacketConn: pc, g: n.g}, nil
}

// Dial is refused: a server half only listens.
func (n network) Dial(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("remote: a server half does not dial")
}

// tokenListener passes on the connections that start with the token, the
// token read; each is checked in a goroutine of its own, so a slow or
// silent one holds up no other.
type tokenListener struct {
	*vetListener
}

func newTokenListener(ln net.Listener, g *gate) *tokenListener {
	check := func(c net.Conn) (net.Conn, bool) {
		c.SetReadDeadline(time.Now().Add(gateTimeout))
		tok := make([]byte, tokenLen)
		if _, err := io.ReadFull(c, tok); err != nil || !g.tokenOK(tok) {
			c.Close()
			return nil, false
		}
		c.SetReadDeadline(time.Time{})
		return c, true
	}
	return &tokenListener{newVetListener(ln, check, nil)}
}

// Close closes the listener and the connections not yet passed on, and
// waits for their checks to end.
func (l *tokenListener) Close() error {
	err := l.vetListener.Close()
	l.Wait()
	return err
}

// gatedConn is a datagram socket behind the gate: it reads only from
// admitted addresses and sends only to them, and answers the check. The
// udp package's servers see it as a udp.Gated and serve its socket
// directly, with their fast paths, asking Admit and Admitted; quic-go
// goes through ReadFrom and WriteTo.
type gatedConn struct {
	net.PacketConn
	g *gate
	// admitted holds at most maxAdmitted addresses and changes only when
	// one passes the check: every datagram read and every reply asks it,
	// so it is read without a lock, and mu only orders the admits.
	admitted atomic.Pointer[[]netip.AddrPort]
	mu       sync.Mutex
}

var _ udp.Gated = (*gatedConn)(nil)

// key is a as the admitted set keeps it: IPv4 as IPv4, whatever the
// socket's family.
func key(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

func addrPortOf(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok {
		return key(ua.AddrPort())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return key(ap)
}

func (c *gatedConn) Socket() net.PacketConn { return c.PacketConn }

func (c *gatedConn) Admitted(to netip.AddrPort) bool {
	return slices.Contains(c.admittedNow(), key(to))
}

// admittedNow is the addresses admitted so far.
func (c *gatedConn) admittedNow() []netip.AddrPort {
	if p := c.admitted.Load(); p != nil {
		return *p
	}
	return nil
}

// Admit takes a datagram of an admitted sender for the server, unless it
// is a prove again (the admit was lost), which it answers: data of a flow
// is never exactly a prove with the token. Anything from another sender
// is the check's to answer, or dropped.
func (c *gatedConn) Admit(msg []byte, from netip.AddrPort) bool {
	if !c.Admitted(from) {
		c.check(msg, from)
		return false
	}
	return !(len(msg) == proveLen && c.check(msg, from))
}

func (c *gatedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	// The check's messages are read whole, whatever the caller's buffer.
	buf := p
	if len(p) < proveLen {
		buf = make([]byte, proveLen)
	}
	for {
		n, addr, err := c.PacketConn.ReadFrom(buf)
		if err != nil {
			return 0, addr, err
		}
		if c.Admit(buf[:n], addrPortOf(addr)) {
			return copy(p, buf[:n]), addr, nil
		}
	}
}

// check answers a message of the check from addr, and reports whether it
// was one.
func (c *gatedConn) check(b []byte, from netip.AddrPort) bool {
	if len(b) < knockLen || string(b[:len(gateMagic)]) != gateMagic || !c.g.tokenOK(b[len(gateMagic)+1:knockLen]) {
		return false
	}
	from = key(from)
	to := net.UDPAddrFromAddrPort(from)
	switch kind := b[len(gateMagic)]; {
	case kind == 'K' && len(b) == knockLen:
		c.PacketConn.WriteTo(gateMsg('C', c.g.cookie(from)), to)
	case kind == 'P' && len(b) == proveLen && hmac.Equal(b[knockLen:], c.g.cookie(from)):
		c.mu.Lock()
		cur := c.admittedNow()
		ok := slices.Contains(cur, from)
		if !ok && len(cur) < maxAdmitted {
			next := append(slices.Clip(cur), from)
			c.admitted.Store(&next)
			ok = true
		}
		c.mu.Unlock()
		if ok {
			c.PacketConn.WriteTo(gateMsg('A'), to)
		}
	default:
		return false
	}
	return true
}

// SetReadBuffer and SetWriteBuffer size the socket's buffers, for
// quic-go; the socket itself stays hidden, so nothing reads around the
// gate.
func (c *gatedConn) SetReadBuffer(n int) error  { return c.setBuffer(n, (*net.UDPConn).SetReadBuffer) }
func (c *gatedConn) SetWriteBuffer(n int) error { return c.setBuffer(n, (*net.UDPConn).SetWriteBuffer) }

func (c *gatedConn) setBuffer(n int, set func(*net.UDPConn, int) error) error {
	if uc, ok := c.PacketConn.(*net.UDPConn); ok {
		return set(uc, n)
	}
	return errors.New("remote: not a UDP socket")
}

// WriteTo sends only to an admitted address; to any other, p is dropped
// as a congested path would drop it.
func (c *gatedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.Admitted(addrPortOf(addr)) {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

// bindTCP starts a connection to a server half with the token.
func bindTCP(c net.Conn, token []byte) error {
	if _, err := c.Write(token); err != nil {
		return fmt.Errorf("remote: bind to the session: %w", err)
	}
	return nil
}

// bindUDP passes the check on c, a datagram socket connected to a server
// half, within ctx and gateTimeout.
func bindUDP(ctx context.Context, c net.Conn, token []byte) error {
	end := time.Now().Add(gateTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(end) {
		end = d
	}
	defer c.SetReadDeadline(time.Time{})
	knock := gateMsg('K', token)
	buf := make([]byte, 64)
	var cookie []byte
	for time.Now().Before(end) && ctx.Err() == nil {
		msg := knock
		if cookie != nil {
			msg = gateMsg('P', token, cookie)
		}
		if _, err := c.Write(msg); err != nil {
			return fmt.Errorf("remote: bind to the session: %w", err)
		}
		c.SetReadDeadline(time.Now().Add(gateRetry))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break // lost: ask again
			}
			switch {
			case n == knockLen && bytes.HasPrefix(buf, []byte(gateMagic+"C")):
				cookie = append([]byte(nil), buf[len(gateMagic)+1:n]...)
			case n == len(gateMagic)+1 && bytes.HasPrefix(buf, []byte(gateMagic+"A")):
				return nil
			default:
				continue
			}
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrNotBound
}
