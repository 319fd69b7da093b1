package udp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"netmatrix/internal/busypoll"
)

// GSO limits: the kernel cuts at most 64 datagrams from one send
// (UDP_MAX_SEGMENTS on the kernels that introduced it), and the run must
// fit one IP packet's 16-bit length with room for the headers.
const (
	maxGSOSegments = 64
	maxGSOBytes    = 65000
)

// oobLen is the control-message room per datagram: one UDP_GRO (an int)
// on receive, one UDP_SEGMENT (a uint16) on send.
var oobLen = unix.CmsgSpace(4)

// sysIO moves datagrams through a host UDP socket with recvmmsg and
// sendmmsg on headers allocated once, so a batch costs one system call and
// no allocation; x/net's batch API allocates a net.Addr for every datagram
// read, which a sink at millions of datagrams a second feels.
//
// Reads and writes have their own headers: one goroutine may read while
// another writes, as long as each side has one goroutine at a time.
type sysIO struct {
	rc       syscall.RawConn
	family   int // AF_INET or AF_INET6: the form of addresses to send to
	gro      bool
	gso      atomic.Bool
	busyPoll time.Duration

	rd, wr mmsgs
	// readFn and writeFn are the RawConn callbacks, made once so that a
	// call allocates no closure.
	readFn, writeFn func(fd uintptr) bool
}

// mmsgs is one side's system call arguments and the outcome of its call.
type mmsgs struct {
	hs    []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // room for either family
	oob   []byte

	n     int // headers to pass
	got   int // headers the kernel filled
	errno syscall.Errno
}

func newMmsgs(n int) mmsgs {
	m := mmsgs{
		hs:    make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n),
		oob:   make([]byte, n*oobLen),
	}
	for i := range m.hs {
		m.hs[i].Hdr.Iov = &m.iovs[i]
		m.hs[i].Hdr.Iovlen = 1
	}
	return m
}

// newSysIO returns a sysIO on uc, or nil if uc's descriptor cannot be
// reached.
func newSysIO(uc *net.UDPConn, opt ioOptions) packetIO {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &sysIO{rc: rc, family: unix.AF_INET, busyPoll: opt.busyPoll, rd: newMmsgs(batchSize), wr: newMmsgs(batchSize)}
	s.readFn, s.writeFn = s.doRead, s.doWrite
	cerr := rc.Control(func(fd uintptr) {
		if d, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN); err == nil {
			s.family = d
		}
		// A kernel that knows UDP_SEGMENT (4.18 on) answers this.
		if opt.gso {
			if _, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT); err == nil {
				s.gso.Store(true)
			}
		}
		if opt.gro {
			s.gro = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil
		}
	})
	if cerr != nil {
		return nil
	}
	return s
}

func (s *sysIO) readBatch(ds []dgram) (int, error) {
	m := &s.rd
	m.n = min(len(ds), len(m.hs))
	for i := range m.n {
		m.iovs[i].Base = unsafe.SliceData(ds[i].buf)
		m.iovs[i].SetLen(len(ds[i].buf))
		h := &m.hs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Flags = 0
		if s.gro {
			h.Control = &m.oob[i*oobLen]
			h.SetControllen(oobLen)
		}
	}
	if err := s.rc.Read(s.readFn); err != nil {
		return 0, err
	}
	if m.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", m.errno)
	}
	for i := range m.got {
		d, h := &ds[i], &m.hs[i]
		d.n, d.seg, d.addr = int(h.Len), 0, nil
		d.from = sockaddrAddrPort(&m.names[i])
		if s.gro && h.Hdr.Controllen > 0 {
			d.seg = groSegment(m.oob[i*oobLen : i*oobLen+int(h.Hdr.Controllen)])
		}
	}
	return m.got, nil
}

// doRead is the read callback: it tries once and, if nothing is there,
// busy-polls before letting the netpoller park the goroutine.
func (s *sysIO) doRead(fd uintptr) bool {
	if s.recv(fd) {
		return true
	}
	return busypoll.Spin(s.busyPoll, func() bool { return s.recv(fd) })
}

// recv makes one non-blocking recvmmsg and reports whether it is done
// (datagrams or an error other than "nothing yet").
func (s *sysIO) recv(fd uintptr) bool { return s.rd.call(unix.SYS_RECVMMSG, fd, unix.MSG_DONTWAIT) }

// call makes the recvmmsg or sendmmsg system call trap on m's headers,
// retrying when a signal interrupts it. It reports false if the socket
// was not ready (EAGAIN), and otherwise records the outcome in m.
func (m *mmsgs) call(trap, fd uintptr, flags int) bool {
	for {
		r, _, e := unix.Syscall6(trap, fd, uintptr(unsafe.Pointer(&m.hs[0])), uintptr(m.n), uintptr(flags), 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		m.got, m.errno = int(r), e
		return true
	}
}

func (s *sysIO) writeBatch(ds []dgram) (int, error) {
	m := &s.wr
	m.n = min(len(ds), len(m.hs))
	gso := s.gso.Load()
	for i := range m.n {
		d, h := &ds[i], &m.hs[i].Hdr
		m.iovs[i].Base = unsafe.SliceData(d.buf)
		m.iovs[i].SetLen(len(d.buf))
		h.Name, h.Namelen = nil, 0
		if d.from.IsValid() {
			h.Name, h.Namelen = s.putSockaddr(&m.names[i], d.from)
		}
		h.Control = nil
		h.SetControllen(0)
		if d.seg > 0 && d.seg < len(d.buf) {
			if !gso {
				return 0, errors.New("udp: a GSO write on a socket without GSO")
			}
			oob := m.oob[i*oobLen : (i+1)*oobLen]
			putSegmentCmsg(oob, d.seg)
			h.Control = &oob[0]
			h.SetControllen(unix.CmsgSpace(2))
		}
	}
	if err := s.rc.Write(s.writeFn); err != nil {
		return 0, err
	}
	if m.errno == unix.EIO && gso {
		// The route's device cannot checksum what GSO cuts (some
		// tunnels): the kernel says so with EIO. Cut in user space from
		// now on, starting with this batch.
		s.gso.Store(false)
		return s.writeSplit(ds[:m.n])
	}
	if m.errno != 0 {
		return 0, os.NewSyscallError("sendmmsg", m.errno)
	}
	return m.got, nil
}

// writeSplit sends each datagram of ds on its own, cutting GSO runs.
func (s *sysIO) writeSplit(ds []dgram) (int, error) {
	for i := range ds {
		var err error
		splitRun(ds[i].buf, ds[i].seg, func(msg []byte) {
			if err != nil {
				return
			}
			one := [1]dgram{{buf: msg, from: ds[i].from}}
			_, err = s.writeBatch(one[:])
		})
		if err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

// doWrite is the write callback: sendmmsg until the kernel takes at least
// one datagram, parking in the netpoller while the socket buffer is full.
func (s *sysIO) doWrite(fd uintptr) bool { return s.wr.call(unix.SYS_SENDMMSG, fd, 0) }

func (s *sysIO) segments(size int) int {
	if !s.gso.Load() || size <= 0 {
		return 1
	}
	return max(1, min(maxGSOSegments, maxGSOBytes/size))
}

// sockaddrAddrPort reads the sender's address recvmmsg wrote.
func sockaddrAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
	}
	return netip.AddrPort{}
}

// putSockaddr writes ap into sa in the socket's family and returns the
// header fields that point at it.
func (s *sysIO) putSockaddr(sa *unix.RawSockaddrInet6, ap netip.AddrPort) (*byte, uint32) {
	if s.family == unix.AF_INET && ap.Addr().Unmap().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ap.Addr().Unmap().As4()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], ap.Port())
		return (*byte)(unsafe.Pointer(sa4)), unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ap.Addr().As16()}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], ap.Port())
	return (*byte)(unsafe.Pointer(sa)), unix.SizeofSockaddrInet6
}

// groSegment returns the datagram size of a GRO run from a read's control
// messages; 0 if the read holds one datagram.
func groSegment(oob []byte) int {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return 0
		}
		if h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_GRO && len(data) >= 4 {
			return int(*(*int32)(unsafe.Pointer(&data[0])))
		}
		oob = rest
	}
	return 0
}

// putSegmentCmsg writes a UDP_SEGMENT control message asking the kernel
// to cut a send into datagrams of seg bytes.
func putSegmentCmsg(oob []byte, seg int) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&oob[unix.CmsgLen(0)])) = uint16(seg)
}

// growReadBuffer raises uc's receive buffer to sinkReadBuffer: with
// SO_RCVBUFFORCE past net.core.rmem_max where the process may (root),
// otherwise as far as rmem_max allows.
func growReadBuffer(uc *net.UDPConn) {
	rc, err := uc.SyscallConn()
	if err == nil {
		var serr error
		err = rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, sinkReadBuffer)
		})
		if err == nil && serr == nil {
			return
		}
	}
	_ = uc.SetReadBuffer(sinkReadBuffer)
}
