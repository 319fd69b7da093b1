//go:build linux

package kernel

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netmatrix/harness/link"
	"netmatrix/harness/netpath/pathtest"
)

// TestExplainUsernsSaysWhyAndWhatToDo holds each way Linux refuses a
// user namespace against the line a user gets: the sysctl to blame, by
// name and value, and one line.
func TestExplainUsernsSaysWhyAndWhatToDo(t *testing.T) {
	startErr := func(e syscall.Errno) error { return &os.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: e} }
	for _, tc := range []struct {
		name    string
		err     error
		sysctls map[string]string
		want    []string
	}{
		{"limit zero", startErr(unix.ENOSPC), map[string]string{"user.max_user_namespaces": "0"},
			[]string{"user.max_user_namespaces=0", "sysctl -w user.max_user_namespaces=", "run as root"}},
		{"limit reached", startErr(unix.ENOSPC), map[string]string{"user.max_user_namespaces": "5"},
			[]string{"as many as it may", "user.max_user_namespaces"}},
		{"Debian's switch", startErr(unix.EPERM), map[string]string{"kernel.unprivileged_userns_clone": "0"},
			[]string{"kernel.unprivileged_userns_clone=0", "sysctl -w kernel.unprivileged_userns_clone=1"}},
		{"Ubuntu's AppArmor", startErr(unix.EPERM), map[string]string{"kernel.unprivileged_userns_clone": "1", "kernel.apparmor_restrict_unprivileged_userns": "1"},
			[]string{"AppArmor", "kernel.apparmor_restrict_unprivileged_userns=1", "userns,"}},
		{"seccomp", startErr(unix.EPERM), nil,
			[]string{"refused one (operation not permitted", "seccomp", "--security-opt seccomp=unconfined"}},
		{"no CONFIG_USER_NS", startErr(unix.EINVAL), nil, []string{"CONFIG_USER_NS"}},
		{"nested too deep", startErr(unix.EUSERS), nil, []string{"nested", "32"}},
		{"something else", startErr(unix.ENOMEM), nil, []string{"kernel: kernel path in a user namespace:", "cannot allocate memory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := explainUserns(tc.err, func(name string) string { return tc.sysctls[name] })
			msg := err.Error()
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			assert.NotContains(t, msg, "\n")
		})
	}
}

// TestTUNDeviceNode opens the node NMX_TUN_DEVICE names, and says what
// is wrong with it when it cannot.
func TestTUNDeviceNode(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing", func(t *testing.T) {
		t.Setenv(TUNDeviceEnv, filepath.Join(dir, "none"))
		err := checkTUN()
		assert.ErrorContains(t, err, "NMX_TUN_DEVICE names the TUN device node "+dir+"/none, and there is none")
	})
	t.Run("not a TUN device", func(t *testing.T) {
		// /dev/null opens, but TUNSETIFF is not its ioctl: the path
		// fails where it makes the device, naming the node.
		t.Setenv(TUNDeviceEnv, os.DevNull)
		assert.NoError(t, checkTUN())
		_, err := openTUN("nmxtest", clientAddr, serverAddr, 1500)
		assert.ErrorContains(t, err, "make TUN device nmxtest")
	})
	t.Run("no driver", func(t *testing.T) {
		// A node of the misc major whose minor no driver has: what
		// /dev/net/tun is where the kernel lacks TUN.
		misc, err := os.ReadFile("/proc/misc")
		require.NoError(t, err)
		taken := strings.Fields(string(misc))
		minor := 250
		for slices.Contains(taken, strconv.Itoa(minor)) {
			minor--
		}
		node := filepath.Join(dir, "nodriver")
		if err := unix.Mknod(node, unix.S_IFCHR|0o600, int(unix.Mkdev(10, uint32(minor)))); err != nil {
			t.Skipf("run as root of the host: it makes a device node (mknod: %v)", err)
		}
		t.Setenv(TUNDeviceEnv, node)
		assert.ErrorContains(t, checkTUN(), "this kernel has no TUN driver (open "+node+" (NMX_TUN_DEVICE): no such device)")
	})
	t.Run("private node", func(t *testing.T) {
		node := filepath.Join(dir, "tun")
		if err := unix.Mknod(node, unix.S_IFCHR|0o600, int(unix.Mkdev(10, 200))); err != nil {
			t.Skipf("run as root of the host: it makes a device node (mknod: %v)", err)
		}
		t.Setenv(TUNDeviceEnv, node)
		assert.NoError(t, checkTUN())
		// The path's devices come from it: as good as /dev/net/tun.
		ctx := pathtest.Context(t, 30*time.Second)
		p := newTestPath(t, ctx, link.Symmetric(link.Config{}, 1))
		run := pathtest.UDPTally(t, ctx, p, 200)
		assert.Len(t, run.Count, 200, "every datagram crossed the devices")
		// Set through netlink, which root of a user namespace may use.
		for _, h := range []*Host{p.client, p.server} {
			var qlen uint32
			require.NoError(t, h.Do(func() error {
				s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					return err
				}
				defer unix.Close(s)
				ifr, err := unix.NewIfreq(h.tun.name)
				if err == nil {
					err = unix.IoctlIfreq(s, unix.SIOCGIFTXQLEN, ifr)
				}
				qlen = ifr.Uint32()
				return err
			}))
			assert.EqualValues(t, tunQueue, qlen, "%s txqueuelen", h.tun.name)
		}
	})
}
