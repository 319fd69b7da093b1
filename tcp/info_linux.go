//go:build linux

package tcp

import (
	"net"

	"golang.org/x/sys/unix"

	"netmatrix/internal/kernelver"
	"netmatrix/internal/sockfd"
)

// Watch keeps a second descriptor of c's socket, where c is a kernel TCP
// connection (*net.TCPConn), so that what the kernel knows of it
// (TCP_INFO) can be read at the very end of a run, after its user has
// closed c (Client.Finish does, once the server has every byte). For any
// other conn (a userspace stack's) the watch reports nothing.
func Watch(c net.Conn) *InfoWatch {
	if ic, ok := c.(InfoConn); ok {
		return &InfoWatch{fd: -1, conn: ic}
	}
	dup, ok := sockfd.Dup(c)
	if !ok {
		return &InfoWatch{fd: -1}
	}
	return &InfoWatch{fd: dup}
}

// Info is the connection's TCP_INFO now, keyed as a run's record keeps a
// transport's own counters; nil where there is none to read.
func (w *InfoWatch) Info() map[string]uint64 {
	switch {
	case w == nil:
		return nil
	case w.conn != nil:
		return w.conn.TCPInfo()
	case w.fd < 0:
		return nil
	}
	return tcpInfo(w.fd)
}

// Release lets the descriptor go; until then, closing the conn alone
// does not close the socket.
func (w *InfoWatch) Release() {
	if w != nil && w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}

// tcpInfo reads TCP_INFO of socket fd as TransportStats keys: the
// sender's own view, next to what the application measured.
func tcpInfo(fd int) map[string]uint64 {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil
	}
	m := map[string]uint64{
		"tcp_rtt_us":        uint64(info.Rtt),    // smoothed RTT
		"tcp_rttvar_us":     uint64(info.Rttvar), // its mean deviation
		"tcp_min_rtt_us":    uint64(info.Min_rtt),
		"tcp_rto_us":        uint64(info.Rto),
		"tcp_snd_cwnd":      uint64(info.Snd_cwnd), // in segments
		"tcp_snd_mss":       uint64(info.Snd_mss),
		"tcp_retrans":       uint64(info.Retrans), // retransmitted and not yet acknowledged, now
		"tcp_total_retrans": uint64(info.Total_retrans),
		"tcp_bytes_retrans": info.Bytes_retrans,
		"tcp_lost":          uint64(info.Lost), // segments presumed lost, now
		"tcp_reordering":    uint64(info.Reordering),
		"tcp_reord_seen":    uint64(info.Reord_seen),
		"tcp_dsack_dups":    uint64(info.Dsack_dups),
		"tcp_data_segs_out": uint64(info.Data_segs_out),
		"tcp_bytes_acked":   info.Bytes_acked,
		// Linux's own clocks of what held the sender back (4.10 and
		// later), beside the engine's (limited_ms): its send-buffer clock
		// runs only while the write queue is empty and the writer
		// blocked, so it misses a buffer full of data in flight.
		"tcp_busy_time_us":      info.Busy_time,
		"tcp_rwnd_limited_us":   info.Rwnd_limited,
		"tcp_sndbuf_limited_us": info.Sndbuf_limited,
	}
	if rtoCounted() {
		m["tcp_total_rto"] = uint64(info.Total_rto) // retransmission timeouts
		m["tcp_total_rto_recoveries"] = uint64(info.Total_rto_recoveries)
		m["tcp_total_rto_time_ms"] = uint64(info.Total_rto_time) // spent recovering from them
	}
	// Slow start's threshold starts "infinite" (0x7fffffff) until the
	// first loss; such a number would read as a figure.
	const infiniteSsthresh = 0x7fffffff
	if info.Snd_ssthresh < infiniteSsthresh {
		m["tcp_snd_ssthresh"] = uint64(info.Snd_ssthresh)
	}
	return m
}

// rtoCounted reports whether this kernel's TCP_INFO counts retransmission
// timeouts (Linux 6.7 and later): an older one leaves the fields zero,
// which would read as "none".
func rtoCounted() bool { return kernelver.AtLeast(6, 7) }
