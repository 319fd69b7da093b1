//go:build linux

package tcplimit

import (
	"net"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"netmatrix/internal/kernelver"
	"netmatrix/internal/sockfd"
)

// SampleEvery is how often a SocketWatch looks at a kernel socket: a
// fifth of the shortest round trip worth telling apart, and a hundred
// pairs of system calls a second.
const SampleEvery = 10 * time.Millisecond

// A SocketWatch looks at the sender of a kernel TCP socket every
// SampleEvery, through TCP_INFO and SO_MEMINFO, until Stop.
type SocketWatch struct {
	fd    int // a descriptor of its own: the conn may close first
	start time.Time
	quit  chan struct{}
	done  chan struct{}

	// clock is the watch goroutine's (run) until it ends, which Stop
	// waits for (done) before it takes its own last look.
	clock Clock
	stop  sync.Once
}

// WatchSocket starts watching the sender of c, a kernel TCP connection
// (*net.TCPConn); ok is false for any other conn, or where its socket
// cannot be had.
func WatchSocket(c net.Conn) (w *SocketWatch, ok bool) {
	dup, ok := sockfd.Dup(c)
	if !ok {
		return nil, false
	}
	w = &SocketWatch{fd: dup, start: time.Now(), quit: make(chan struct{}), done: make(chan struct{})}
	w.look()
	go w.run()
	return w, true
}

func (w *SocketWatch) run() {
	defer close(w.done)
	t := time.NewTicker(SampleEvery)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
			w.look()
		}
	}
}

// look takes one look now; a socket that cannot be read (closed under
// it) gives none.
func (w *SocketWatch) look() {
	l, ok := socketLook(w.fd)
	now := time.Since(w.start)
	if !ok {
		return
	}
	w.clock.Observe(now, l)
}

// Stop takes a last look, ends the watch and returns what the sender
// spent in each class. Later calls return the same: the clock is
// stopped, and no one looks any more.
func (w *SocketWatch) Stop() Times {
	w.stop.Do(func() {
		close(w.quit)
		<-w.done
		w.look()
		w.clock.Stop(time.Since(w.start))
		unix.Close(w.fd)
	})
	return w.clock.Times()
}

// socketLook reads fd's sender from TCP_INFO and SO_MEMINFO.
func socketLook(fd int) (Look, bool) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return Look{}, false
	}
	mss := int(info.Snd_mss)
	l := Look{
		Unsent: int(info.Notsent_bytes),
		MSS:    mss,
		// tcp_packets_in_flight: what tcp_cwnd_test holds against the
		// window.
		Pipe:   int(info.Unacked) - int(info.Sacked) - int(info.Lost) + int(info.Retrans),
		Cwnd:   int(info.Snd_cwnd),
		WakeAt: 2.0 / 3,
	}
	// SND.NXT - SND.UNA: new data sent (Linux 4.19 and later count what
	// was sent and resent) less what was acknowledged.
	if info.Bytes_sent > 0 {
		l.InFlight = max(int(int64(info.Bytes_sent)-int64(info.Bytes_retrans)-int64(info.Bytes_acked)), 0)
	} else {
		l.InFlight = int(info.Unacked) * mss
	}
	l.OnPath = max(min(l.InFlight, l.Pipe*max(mss, 1)), 0)
	l.RTT = time.Duration(info.Rtt) * time.Microsecond
	// tcp_tso_autosize: a GSO frame of about 1 ms at the pacing rate
	// (sk_pacing_shift 10), two segments at least, 64 KiB at most.
	l.Quantum = min(max(int(info.Pacing_rate>>10), 2*mss), 64<<10)
	// TCP_CA_Recovery (3) and TCP_CA_Loss (4): repairing a loss.
	l.Recovering = info.Ca_state >= 3
	l.PeerWindow = int(info.Snd_wnd)
	if !sndWndKnown() {
		l.PeerWindow = int(^uint(0) >> 1) // unknown: never the limit
	}
	var mem [unix.SK_MEMINFO_VARS]uint32
	n := uint32(unsafe.Sizeof(mem))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&mem)), uintptr(unsafe.Pointer(&n)), 0); e == 0 {
		l.BufUsed, l.BufSize = int(mem[unix.SK_MEMINFO_WMEM_QUEUED]), int(mem[unix.SK_MEMINFO_SNDBUF])
	}
	return l, true
}

// sndWndKnown reports whether TCP_INFO has the peer's window
// (tcpi_snd_wnd, Linux 6.2 and later): an older kernel leaves it zero,
// which would read as a closed window.
func sndWndKnown() bool { return kernelver.AtLeast(6, 2) }
