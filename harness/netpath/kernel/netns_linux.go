//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// A netns is a network namespace this process made. It has no name under
// /run/netns and no process in it: this process holds it by a file
// descriptor alone, and the kernel removes it, with the TUN device in
// it, when that descriptor closes, whether by Close or because the
// process ended in any way at all (exit, panic, SIGKILL, a test
// timeout). So nothing of a killed run outlives it, and there is never a
// leftover to clean at the next start.
type netns struct {
	mu    sync.RWMutex // held around setns, so Close cannot recycle fd under it
	fd    int          // -1 once closed
	inode uint64       // the namespace's identity, for tests and messages
}

// newNetns makes a namespace and runs setup in it, on the thread that
// made it.
func newNetns(setup func() error) (*netns, error) {
	ns := &netns{fd: -1}
	err := onThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("new network namespace: %w", err)
		}
		return nil
	}, func() error {
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open the new namespace: %w", err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return fmt.Errorf("stat the new namespace: %w", err)
		}
		ns.fd, ns.inode = fd, st.Ino
		return setup()
	})
	if err != nil {
		ns.close()
		return nil, err
	}
	return ns, nil
}

// run runs fn on a thread inside the namespace: the sockets and devices
// fn makes are the namespace's. Nothing else in the program moves.
func (ns *netns) run(fn func() error) error {
	return onThread(func() error {
		ns.mu.RLock()
		defer ns.mu.RUnlock()
		if ns.fd < 0 {
			return net.ErrClosed
		}
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace: %w", err)
		}
		return nil
	}, fn)
}

// close lets the namespace go; the kernel removes it once no socket or
// process holds it either.
func (ns *netns) close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.fd >= 0 {
		unix.Close(ns.fd)
		ns.fd = -1
	}
}

// onThread runs enter and then fn on an OS thread of their own, and puts
// the thread back in the namespace it was in before. It runs them on a
// new goroutine rather than the caller's, so that a thread which cannot
// be put back dies with that goroutine (the runtime ends a thread whose
// goroutine exits locked to it) instead of running other code in the
// wrong namespace. Threads the runtime starts meanwhile come from its
// template thread, not this one, so they stay where they were.
func onThread(enter, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open this thread's namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := enter(); err != nil {
			// unshare and setns change nothing when they fail.
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Stay locked: the thread ends with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("leave network namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// writeSysctl sets a sysctl of the calling thread's network namespace:
// /proc/sys/net follows the namespace of the thread that opens it.
func writeSysctl(path, value string) error {
	if err := os.WriteFile("/proc/sys/"+path, []byte(value), 0); err != nil {
		return fmt.Errorf("sysctl %s=%s in the path's namespace: %w", path, value, err)
	}
	return nil
}
