//go:build linux

package kernel

// The kernel path without root: a process that is not root runs the
// kernel path in a child that is root of a user namespace of its own. In
// there it holds CAP_SYS_ADMIN and CAP_NET_ADMIN over every network
// namespace it makes, which is all New needs, and the TUN device node is
// opened with the user's own rights. What it cannot do, where the host
// forbids it, is said here in one line with what to do.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// TUNDeviceEnv names the environment variable that names the TUN
// device node the kernel path opens, instead of /dev/net/tun: a node of
// one's own (mknod NODE c 10 200) that a user may open where the host's
// may not be changed, as in tests.
const TUNDeviceEnv = "NMX_TUN_DEVICE"

// defaultTUNDevice is where Linux keeps the TUN device's node.
const defaultTUNDevice = "/dev/net/tun"

// tunDevice is the node openTUN opens.
func tunDevice() string {
	if p := os.Getenv(TUNDeviceEnv); p != "" {
		return p
	}
	return defaultTUNDevice
}

// checkTUN opens the TUN device node and lets it go, which makes no
// device: whether this process may make TUN devices as far as the node
// and the driver go. Making one still takes CAP_NET_ADMIN, which is why
// most distributions let everyone open the node.
func checkTUN() error {
	node := tunDevice()
	named := ""
	if node != defaultTUNDevice {
		named = " (" + TUNDeviceEnv + ")"
	}
	fd, err := unix.Open(node, unix.O_RDWR|unix.O_CLOEXEC, 0)
	switch {
	case err == nil:
		unix.Close(fd)
		return nil
	case errors.Is(err, unix.ENOENT) && named != "":
		return fmt.Errorf("%s names the TUN device node %s, and there is none: make it (mknod %[2]s c 10 200, as root) or unset %[1]s", TUNDeviceEnv, node)
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("the kernel path needs the TUN device %s, and there is none: load the tun module (modprobe tun), or make the node (mknod %[1]s c 10 200) or name another in %[2]s", node, TUNDeviceEnv)
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("this kernel has no TUN driver (open %s%s: %w): load it (modprobe tun), or use the emulated path", node, named, err)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("the kernel path cannot open the TUN device %s%s (%w): give this user read and write access (chmod 0666 /dev/net/tun is Debian's, Ubuntu's and Fedora's default; making a device still takes CAP_NET_ADMIN), name a node it may open in %s, or run as root", node, named, err, TUNDeviceEnv)
	}
	return fmt.Errorf("the kernel path needs the TUN device: open %s%s: %w", node, named, err)
}

// StartUserns starts cmd as root of a new user namespace, with a network
// namespace of its own, for a process that is not root to build kernel
// paths in: there it holds the capabilities New needs over the namespaces
// it makes, the user's uid and gid are its root (what it writes belongs
// to the user), and its files, signals and processes are the user's as
// before. Go's runtime is multi-threaded, so the namespaces are made as
// cmd is cloned, not by unshare in this process.
//
// cmd runs in a network namespace of its own, not this one, because a
// thread that enters a host's namespace must be able to return to the
// one it came from, and only a namespace of its user namespace lets it.
// So cmd reaches nothing outside: it is for running kernel paths only.
//
// Unless cmd.SysProcAttr says otherwise, the kernel kills cmd (SIGKILL)
// should this process die. It fails, in one line that says what to do,
// where the TUN device or a user namespace is not to be had.
func StartUserns(cmd *exec.Cmd) error {
	if err := checkTUN(); err != nil {
		return err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	a := cmd.SysProcAttr
	a.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	// A user without CAP_SETGID may map its group only once setgroups
	// is denied in the namespace; the child keeps the groups it has.
	a.GidMappingsEnableSetgroups = false
	if a.Pdeathsig == 0 {
		a.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return explainUserns(err, readSysctl)
	}
	return nil
}

// explainUserns says why a user namespace could not be made, in one line
// with what to do, from the error of the clone that made it and the
// sysctls (sysctl reads one by name, "" where there is none).
func explainUserns(err error, sysctl func(name string) string) error {
	const root = "or run as root (sudo)"
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("kernel: kernel path in a user namespace: %w", err)
	}
	switch errno {
	case unix.ENOSPC:
		if v := sysctl("user.max_user_namespaces"); v == "0" {
			return fmt.Errorf("the kernel path without root needs a user namespace, and this system disables them (user.max_user_namespaces=0): ask an admin to allow some (sysctl -w user.max_user_namespaces=10000), %s", root)
		}
		return fmt.Errorf("the kernel path without root needs a user namespace, and this user has as many as it may (user.max_user_namespaces, %w): end some, %s", errno, root)
	case unix.EPERM:
		if sysctl("kernel.unprivileged_userns_clone") == "0" {
			return fmt.Errorf("the kernel path without root needs a user namespace, and this kernel allows them to root only (kernel.unprivileged_userns_clone=0): ask an admin for sysctl -w kernel.unprivileged_userns_clone=1, %s", root)
		}
		if sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1" {
			return errAppArmorUserns
		}
		return fmt.Errorf("the kernel path without root needs a user namespace, and this system refused one (%w: a seccomp filter, as in a container, or a security module): allow user namespaces (in Docker: --security-opt seccomp=unconfined), %s", errno, root)
	case unix.EINVAL:
		return fmt.Errorf("the kernel path without root needs a user namespace, and this kernel has none (CONFIG_USER_NS, %w): %s", errno, root)
	case unix.EUSERS:
		return fmt.Errorf("the kernel path without root needs a user namespace, and this process is in as many nested ones as Linux allows (32): %s", root)
	}
	return fmt.Errorf("kernel: kernel path in a user namespace: %w", err)
}

// errAppArmorUserns is why a process in a user namespace has its
// capabilities denied on Ubuntu 23.10 and later, where only programs
// whose AppArmor profile says `userns,` keep them.
var errAppArmorUserns = errors.New("the kernel path without root needs capabilities in a user namespace, and AppArmor denies them to this program (kernel.apparmor_restrict_unprivileged_userns=1): ask an admin for an AppArmor profile that allows it `userns,`, or for sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or run as root (sudo)")

// refused is the error for a namespace or device the kernel
// refused to make (err is EPERM). Outside a user namespace it means the
// process is not root; inside one, where the capabilities are there,
// that a security module took them away.
func refused(err error) error {
	if inUserns() {
		if readSysctl("kernel.apparmor_restrict_unprivileged_userns") == "1" {
			return fmt.Errorf("%w (%w)", errAppArmorUserns, err)
		}
		return fmt.Errorf("the kernel path was refused in its user namespace (%w), although it holds the capabilities there: a security module may deny them; run as root (sudo)", err)
	}
	return fmt.Errorf("%w (%w)", errPrivileges, err)
}

// inUserns reports whether this process runs in a user namespace other
// than the first: there, uid_map maps less than every uid onto itself.
func inUserns() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return strings.Join(strings.Fields(string(b)), " ") != "0 0 4294967295"
}

// readSysctl reads a sysctl by its dotted name, "" where this kernel has
// none (or it cannot be read).
func readSysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
