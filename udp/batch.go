package udp

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// message is one datagram of a batch (x/net's socket.Message: ipv4 and
// ipv6 name the same type).
type message = ipv4.Message

// batchConn moves several datagrams per system call where the socket
// allows it.
type batchConn interface {
	ReadBatch(ms []message, flags int) (int, error)
	WriteBatch(ms []message, flags int) (int, error)
}

// newBatchConn returns recvmmsg/sendmmsg on a host UDP socket, and one
// datagram per call on anything else (an emulated stack's PacketConn).
func newBatchConn(pc net.PacketConn) batchConn {
	if uc, ok := pc.(*net.UDPConn); ok {
		if a, ok := uc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
			return ipv6.NewPacketConn(uc)
		}
		return ipv4.NewPacketConn(uc)
	}
	return singleConn{pc}
}

// singleConn is a batchConn that moves one datagram per call.
type singleConn struct{ pc net.PacketConn }

func (s singleConn) ReadBatch(ms []message, _ int) (int, error) {
	n, addr, err := s.pc.ReadFrom(ms[0].Buffers[0])
	if err != nil {
		return 0, err
	}
	ms[0].N, ms[0].Addr = n, addr
	return 1, nil
}

func (s singleConn) WriteBatch(ms []message, _ int) (int, error) {
	for i := range ms {
		if _, err := s.pc.WriteTo(ms[i].Buffers[0], ms[i].Addr); err != nil {
			return i, err
		}
	}
	return len(ms), nil
}

// newMessages allocates n messages of one buffer each of size bytes.
func newMessages(n, size int) []message {
	ms := make([]message, n)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, size)}
	}
	return ms
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
