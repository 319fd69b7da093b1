package udp

import (
	"net"
	"net/netip"
	"time"
)

// batchSize is how many datagrams one recvmmsg/sendmmsg moves at most.
const batchSize = 32

// maxDatagram holds the largest UDP payload (65507 bytes over IPv4), and
// so also the largest run of datagrams GRO coalesces into one read.
const maxDatagram = 1 << 16

// sinkReadBuffer is the receive buffer a Sink asks for; the kernel
// doubles it for its bookkeeping. A sender on the same host can outrun a
// sink that the scheduler leaves off the CPU for a few milliseconds (on
// a busy machine, or while another process has its core), and on loopback
// every datagram the buffer cannot hold is lost: at 10 Gbit/s, 32 MiB
// holds 25 ms. The memory is only used while datagrams queue.
const sinkReadBuffer = 32 << 20

// dgram is one entry of a batch: a datagram or, with GRO and GSO, a run
// of datagrams of one size that the kernel moves as one.
type dgram struct {
	// buf is the room to read into, or the bytes to send.
	buf []byte
	// n is how many bytes a read put in buf.
	n int
	// seg, when set, says that buf[:n] (on a read) or buf (on a write)
	// holds datagrams of seg bytes each, the last one possibly shorter:
	// GRO coalesced them on receive, or GSO is to cut them on send.
	seg int
	// from is the sender of a datagram read, and the destination of one
	// written; zero on a connected socket.
	from netip.AddrPort
	// addr is the same address as the PacketConn gave it, for PacketConns
	// that are not host sockets and want their own address type back.
	addr net.Addr
}

// each calls f for every datagram read into d, splitting a GRO run.
func (d *dgram) each(f func(msg []byte)) { splitRun(d.buf[:d.n], d.seg, f) }

// splitRun calls f for each datagram of a run of seg-byte datagrams (the
// last may be shorter); seg <= 0 means b is one datagram.
func splitRun(b []byte, seg int, f func(msg []byte)) {
	if seg <= 0 {
		f(b)
		return
	}
	for len(b) > 0 {
		n := min(seg, len(b))
		f(b[:n])
		b = b[n:]
	}
}

// packetIO moves datagrams in batches: several per system call on a host
// socket, one per call on anything else (an emulated stack's PacketConn).
type packetIO interface {
	// readBatch waits for at least one datagram and fills as many entries
	// of ds as are ready; it returns how many it filled.
	readBatch(ds []dgram) (int, error)
	// writeBatch sends the entries of ds in order and returns how many
	// went out.
	writeBatch(ds []dgram) (int, error)
	// segments is how many datagrams of size bytes one entry given to
	// writeBatch may carry: more than 1 only where GSO is on.
	segments(size int) int
}

// ioOptions say what a socket's packetIO should do beyond moving
// datagrams.
type ioOptions struct {
	// gro asks the kernel to hand over runs of datagrams from one sender
	// coalesced (UDP_GRO); only a reader that splits them may ask.
	gro bool
	// gso lets writes carry runs of datagrams for the kernel to cut
	// (UDP_SEGMENT).
	gso bool
	// busyPoll is how long a read spins before sleeping; zero or less
	// sleeps at once.
	busyPoll time.Duration
}

// newPacketIO returns the fastest packetIO pc allows: raw recvmmsg and
// sendmmsg (with GRO/GSO where asked for and supported) on a host socket
// where the platform has them, one datagram per call otherwise.
func newPacketIO(pc net.PacketConn, opt ioOptions) packetIO {
	if g, ok := pc.(Gated); ok {
		return gatedIO{newPacketIO(g.Socket(), opt), g}
	}
	if uc, ok := pc.(*net.UDPConn); ok {
		if s := newSysIO(uc, opt); s != nil {
			return s
		}
	}
	return packetConnIO{pc}
}

// newConnIO is newPacketIO for a connected socket that may not be a
// PacketConn (an emulated stack's dialled UDP conn).
func newConnIO(c net.Conn, opt ioOptions) packetIO {
	if uc, ok := c.(*net.UDPConn); ok {
		if s := newSysIO(uc, opt); s != nil {
			return s
		}
	}
	return connIO{c}
}

// packetConnIO moves one datagram per call through any PacketConn.
type packetConnIO struct{ pc net.PacketConn }

func (p packetConnIO) readBatch(ds []dgram) (int, error) {
	n, addr, err := p.pc.ReadFrom(ds[0].buf)
	if err != nil {
		return 0, err
	}
	ds[0].n, ds[0].seg, ds[0].addr, ds[0].from = n, 0, addr, addrPort(addr)
	return 1, nil
}

func (p packetConnIO) writeBatch(ds []dgram) (int, error) {
	for i := range ds {
		addr := ds[i].addr
		if addr == nil {
			addr = net.UDPAddrFromAddrPort(ds[i].from)
		}
		if _, err := p.pc.WriteTo(ds[i].buf, addr); err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

func (packetConnIO) segments(int) int { return 1 }

// connIO moves one datagram per call through a connected net.Conn.
type connIO struct{ c net.Conn }

func (c connIO) readBatch(ds []dgram) (int, error) {
	n, err := c.c.Read(ds[0].buf)
	if err != nil {
		return 0, err
	}
	ds[0].n, ds[0].seg = n, 0
	return 1, nil
}

func (c connIO) writeBatch(ds []dgram) (int, error) {
	for i := range ds {
		if _, err := c.c.Write(ds[i].buf); err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

func (connIO) segments(int) int { return 1 }

// newDgrams allocates n batch entries with a buffer of size bytes each.
func newDgrams(n, size int) []dgram {
	ds := make([]dgram, n)
	for i := range ds {
		ds[i].buf = make([]byte, size)
	}
	return ds
}

// addrPort returns addr as a comparable value; zero if it is not UDP.
func addrPort(addr net.Addr) netip.AddrPort {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	default:
		ap, _ := netip.ParseAddrPort(addr.String())
		return ap
	}
}
