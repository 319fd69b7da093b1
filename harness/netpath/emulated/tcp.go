package emulated

import (
	"math"
	"net"
	"sync"
	"time"

	"netmatrix/harness/netpath"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/waiter"
)

// TCPConn is a TCP connection on the emulated path: gonet's
// net.Conn plus the socket options the transports set, which gonet does
// not expose. Like Go's net.TCPConn, Nagle's algorithm starts off.
type TCPConn struct {
	*gonet.TCPConn
	socketBuffers
}

func newTCPConn(ep tcpip.Endpoint, wq *waiter.Queue) *TCPConn {
	return &TCPConn{TCPConn: gonet.NewTCPConn(wq, ep), socketBuffers: socketBuffers{ep}}
}

// SetNoDelay turns Nagle's algorithm off (true) or on (false), as
// net.TCPConn.SetNoDelay does.
func (c *TCPConn) SetNoDelay(noDelay bool) error {
	c.ep.SocketOptions().SetDelayOption(!noDelay)
	return nil
}

// TCPInfo is what gVisor knows of the connection, under TCP_INFO's names
// and units (tcp.InfoConn), next to what the kernel path's sockets say.
func (c *TCPConn) TCPInfo() map[string]uint64 {
	var info tcpip.TCPInfoOption
	if err := c.ep.GetSockOpt(&info); err != nil {
		return nil
	}
	m := map[string]uint64{
		"tcp_rtt_us":    uint64(info.RTT / time.Microsecond), // smoothed RTT
		"tcp_rttvar_us": uint64(info.RTTVar / time.Microsecond),
		"tcp_rto_us":    uint64(info.RTO / time.Microsecond),
		"tcp_snd_cwnd":  uint64(info.SndCwnd), // in segments
	}
	// Slow start's threshold starts "infinite" until the first loss.
	if info.SndSsthresh > 0 && info.SndSsthresh < math.MaxInt32 {
		m["tcp_snd_ssthresh"] = uint64(info.SndSsthresh)
	}
	return m
}

// sizeBuffers gives a TCP endpoint the buffers o asks for, if any, kept
// doubled as Linux keeps SO_SNDBUF and SO_RCVBUF; a size set stops that
// buffer's autotuning, as on Linux. Set before Listen or Connect: the
// receive buffer chooses the window scale of the handshake.
func sizeBuffers(ep tcpip.Endpoint, o *netpath.Options) {
	if o.SendBuffer > 0 {
		ep.SocketOptions().SetSendBufferSize(2*int64(o.SendBuffer), true)
	}
	if o.ReceiveBuffer > 0 {
		ep.SocketOptions().SetReceiveBufferSize(2*int64(o.ReceiveBuffer), true)
	}
}

// socketBuffers gives a gonet conn the buffer options of net's conns.
// The stack caps both at 16 MiB; setting the TCP receive buffer stops its
// auto-tuning, as SO_RCVBUF does on Linux.
type socketBuffers struct{ ep tcpip.Endpoint }

// SetReadBuffer sets the socket's receive buffer.
func (s socketBuffers) SetReadBuffer(bytes int) error {
	s.ep.SocketOptions().SetReceiveBufferSize(int64(bytes), true)
	return nil
}

// SetWriteBuffer sets the socket's send buffer.
func (s socketBuffers) SetWriteBuffer(bytes int) error {
	s.ep.SocketOptions().SetSendBufferSize(int64(bytes), true)
	return nil
}

// listener accepts TCP connections on an emulated host. gonet's
// listener hides the accepted endpoints, and the conns need them for
// their socket options, so this is gonet's Accept with that change.
type listener struct {
	ep       tcpip.Endpoint
	wq       *waiter.Queue
	pathDone <-chan struct{}
	bufs     *netpath.Options // the accepted endpoints' buffers

	closeOnce sync.Once
	closed    chan struct{}
}

func newListener(ep tcpip.Endpoint, wq *waiter.Queue, pathDone <-chan struct{}, bufs *netpath.Options) *listener {
	return &listener{ep: ep, wq: wq, pathDone: pathDone, bufs: bufs, closed: make(chan struct{})}
}

// Accept waits for a connection, for Close, or for the path to close; the
// last two return an error wrapping net.ErrClosed, so servers end their
// accept loops as they do on a real listener.
func (l *listener) Accept() (net.Conn, error) {
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents)
	l.wq.EventRegister(&entry)
	defer l.wq.EventUnregister(&entry)
	for {
		ep, wq, err := l.ep.Accept(nil)
		if err == nil {
			// gVisor gives an accepted endpoint its listener's receive
			// buffer but not the end of its autotuning, which Linux's
			// accepted sockets inherit; nor the send buffer.
			sizeBuffers(ep, l.bufs)
			return newTCPConn(ep, wq), nil
		}
		if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
			return nil, l.acceptError(err.String())
		}
		select {
		case <-readable:
		case <-l.closed:
			return nil, l.acceptError("")
		case <-l.pathDone:
			return nil, l.acceptError("")
		}
	}
}

func (l *listener) acceptError(reason string) error {
	select {
	case <-l.closed:
		reason = ""
	case <-l.pathDone:
		reason = ""
	default:
	}
	var err error = net.ErrClosed
	if reason != "" {
		err = &tcpipError{reason}
	}
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: err}
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.ep.Close()
	})
	return nil
}

func (l *listener) Addr() net.Addr {
	a, err := l.ep.GetLocalAddress()
	if err != nil {
		return &net.TCPAddr{}
	}
	return netAddr("tcp", a)
}

// tcpipError carries a gVisor error's text as a Go error.
type tcpipError struct{ s string }

func (e *tcpipError) Error() string { return "emulated: netstack: " + e.s }
