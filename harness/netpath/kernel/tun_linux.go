//go:build linux

package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"netmatrix/harness/link"
)

// tunDev is one host's end of the kernel path: a TUN device whose far
// side is this process. What the host's kernel routes to the peer comes
// out of ReadPacket as a raw IPv4 packet (IFF_NO_PI: no header before
// it); what WritePacket is given goes into the host's kernel as if it
// had arrived on a wire. No offloads are asked for (no IFF_VNET_HDR), so
// the kernel segments and checksums before the packet reaches the relay,
// and every packet the link model sees is one the wire would carry.
type tunDev struct {
	name string
	f    *os.File
	buf  []byte // ReadPacket's scratch: room for any packet, whatever the MTU

	// ReadPacket's ctx, and how to stop watching it.
	watched context.Context
	unwatch func() bool
}

var (
	_ link.Endpoint = (*tunDev)(nil)
	_ link.Source   = (*tunDev)(nil)
)

// tunQueue is the device's transmit queue (txqueuelen), where the kernel
// holds packets for ReadPacket: deep enough that a relay goroutine
// descheduled for a moment does not make the host drop packets the link
// model never saw. Drops there count as the path's StackDrops.
const tunQueue = 4096

// openTUN makes TUN device name in the calling thread's namespace, gives
// it local and the point-to-point peer address, MTU mtu, and brings it up.
// It goes when the returned device is closed, or the process ends.
func openTUN(name string, local, peer netip.Addr, mtu int) (*tunDev, error) {
	node := tunDevice() // /dev/net/tun, or TUNDeviceEnv's
	fd, err := unix.Open(node, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", node, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUN device %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make TUN device %s: %w", name, err)
	}
	// Non-blocking, so os.File reads through the runtime's poller and
	// Close and deadlines wake a blocked read.
	t := &tunDev{name: name, f: os.NewFile(uintptr(fd), name), buf: make([]byte, link.MaxMTU)}
	if err := configureTUN(name, local, peer, mtu); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// configureTUN addresses the device and brings it and the namespace's
// loopback up, through the classic interface ioctls: a point-to-point
// device given a local and a peer address gets a /32 and a route to the
// peer through itself, which is all the path needs. Only the queue
// length goes through netlink (setTxQueueLen).
func configureTUN(name string, local, peer netip.Addr, mtu int) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("ioctl socket: %w", err)
	}
	defer unix.Close(s)
	ioctl := func(dev string, req uint, what string, set func(*unix.Ifreq) error) error {
		ifr, err := unix.NewIfreq(dev)
		if err == nil {
			err = set(ifr)
		}
		if err == nil {
			err = unix.IoctlIfreq(s, req, ifr)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", dev, what, err)
		}
		return nil
	}
	up := func(dev string) error {
		ifr, err := unix.NewIfreq(dev)
		if err != nil {
			return err
		}
		if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
			return fmt.Errorf("%s flags: %w", dev, err)
		}
		flags := ifr.Uint16() | unix.IFF_UP
		return ioctl(dev, unix.SIOCSIFFLAGS, "up", func(ifr *unix.Ifreq) error { ifr.SetUint16(flags); return nil })
	}
	a4, p4 := local.As4(), peer.As4()
	for _, step := range []struct {
		req  uint
		what string
		set  func(*unix.Ifreq) error
	}{
		{unix.SIOCSIFMTU, "mtu", func(ifr *unix.Ifreq) error { ifr.SetUint32(uint32(mtu)); return nil }},
		{unix.SIOCSIFADDR, "address", func(ifr *unix.Ifreq) error { return ifr.SetInet4Addr(a4[:]) }},
		{unix.SIOCSIFDSTADDR, "peer address", func(ifr *unix.Ifreq) error { return ifr.SetInet4Addr(p4[:]) }},
	} {
		if err := ioctl(name, step.req, step.what, step.set); err != nil {
			return err
		}
	}
	// Not SIOCSIFTXQLEN: it wants CAP_NET_ADMIN over the host, which
	// root of a user namespace lacks (netlink_linux.go).
	if err := setTxQueueLen(name, tunQueue); err != nil {
		return err
	}
	if err := up("lo"); err != nil {
		return err
	}
	return up(name)
}

// ReadPacket returns the next packet the host sent towards its peer. It
// is not safe for concurrent use: one Relay.Pump reads each device.
func (t *tunDev) ReadPacket(ctx context.Context) (link.Packet, error) {
	if ctx != t.watched {
		// Pump passes the same ctx every time: watch it once, not per
		// packet.
		if t.unwatch != nil {
			t.unwatch()
		}
		t.watched = ctx
		t.unwatch = context.AfterFunc(ctx, func() { t.f.SetReadDeadline(time.Unix(1, 0)) })
	}
	n, err := t.f.Read(t.buf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	// A copy into a pooled buffer of the packet's size: memory held in
	// the link's queues is what the packets need, not 64 KiB each.
	return link.NewBuf(t.buf[:n]), nil
}

// WritePacket hands a packet from the link to the host's kernel, as if
// it had arrived on the device.
func (t *tunDev) WritePacket(p link.Packet) error {
	defer p.Release()
	b, ok := p.(*link.Buf)
	if !ok {
		return fmt.Errorf("write %s: a %T is not a raw packet", t.name, p)
	}
	if _, err := t.f.Write(b.B); err != nil {
		return fmt.Errorf("write %s: %w", t.name, err)
	}
	return nil
}

// Close removes the device: a TUN device that is not persistent lives as
// long as its descriptor.
func (t *tunDev) Close() error {
	if t.unwatch != nil {
		t.unwatch()
	}
	if err := t.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
