//go:build linux

package kernel

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// setTxQueueLen sets the transmit queue length of device name in the
// calling thread's namespace through rtnetlink (RTM_NEWLINK with
// IFLA_TXQLEN, as `ip link set NAME txqueuelen N`). The ioctl for it,
// SIOCSIFTXQLEN, wants CAP_NET_ADMIN over the whole host, which root of a
// user namespace lacks; netlink wants it over the device's namespace
// only, so this works for root and rootless alike.
func setTxQueueLen(name string, qlen uint32) error {
	index, err := ifIndex(name)
	if err != nil {
		return err
	}
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("%s txqueuelen: netlink socket: %w", name, err)
	}
	defer unix.Close(s)

	// nlmsghdr, ifinfomsg, one rtattr with a u32: the kernel's order
	// and sizes (16, 16, 4+4 bytes), in the host's byte order.
	const size = unix.SizeofNlMsghdr + unix.SizeofIfInfomsg + unix.SizeofRtAttr + 4
	msg := make([]byte, size)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], size)
	ne.PutUint16(msg[4:], unix.RTM_NEWLINK)
	ne.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(msg[8:], 1) // sequence number
	ifi := msg[unix.SizeofNlMsghdr:]
	ifi[0] = unix.AF_UNSPEC
	ne.PutUint32(ifi[4:], uint32(index))
	attr := ifi[unix.SizeofIfInfomsg:]
	ne.PutUint16(attr[0:], unix.SizeofRtAttr+4)
	ne.PutUint16(attr[2:], unix.IFLA_TXQLEN)
	ne.PutUint32(attr[unix.SizeofRtAttr:], qlen)
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("%s txqueuelen: netlink send: %w", name, err)
	}

	// The answer is one NLMSG_ERROR message: error 0 is the ack.
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(s, buf, 0)
	if err != nil {
		return fmt.Errorf("%s txqueuelen: netlink receive: %w", name, err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return fmt.Errorf("%s txqueuelen: netlink answer: %w", name, err)
	}
	for _, m := range msgs {
		if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
			continue
		}
		if e := int32(ne.Uint32(m.Data)); e != 0 {
			return fmt.Errorf("%s txqueuelen: %w", name, syscall.Errno(-e))
		}
		return nil
	}
	return fmt.Errorf("%s txqueuelen: netlink sent no answer", name)
}

// ifIndex is the index of device name in the calling thread's namespace.
func ifIndex(name string) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("ioctl socket: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, fmt.Errorf("%s index: %w", name, err)
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("%s index: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}
