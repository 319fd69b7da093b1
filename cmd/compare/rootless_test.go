//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
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

	"netmatrix/harness/netpath/kernel"
	"netmatrix/results"
)

// nobody is the user the rootless tests run compare as.
const nobody = 65534

// rootlessEnv is what a test needs to run compare as nobody: this test
// binary and a TUN device node nobody may use, in a folder nobody can
// reach (a test's own temporary folders are root's alone), and a folder
// of nobody's own to work in. The host's /dev/net/tun is left as it is.
type rootlessEnv struct {
	bin string // this test binary, which is compare (asCompareEnv)
	tun string // a TUN device node of nobody's
	out string // nobody's working folder
}

func newRootlessEnv(t *testing.T) *rootlessEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("run as root: the test makes a TUN device node and runs compare as uid 65534")
	}
	dir, err := os.MkdirTemp("", "nmx-rootless-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	e := &rootlessEnv{bin: filepath.Join(dir, "compare.test"), tun: filepath.Join(dir, "tun"), out: filepath.Join(dir, "out")}
	// c 10 200 is the TUN driver's node, as /dev/net/tun; mode 0600 and
	// nobody's, so it is nobody and not everyone who may open it.
	if err := unix.Mknod(e.tun, unix.S_IFCHR|0o600, int(unix.Mkdev(10, 200))); err != nil {
		t.Skipf("run as root of the host: the test makes a TUN device node (mknod: %v)", err)
	}
	require.NoError(t, os.Chown(e.tun, nobody, nobody))
	src, err := os.Open(os.Args[0])
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(e.bin, os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	require.NoError(t, os.Mkdir(e.out, 0o755))
	require.NoError(t, os.Chown(e.out, nobody, nobody))

	// Can nobody make a user namespace at all? Asked of the kernel
	// directly, not through the code under test.
	probe := e.command(t, "-test.run=^TestUsernsProbeHelper$")
	probe.Env = append(probe.Env, "NMX_USERNS_PROBE=1")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("uid %d cannot make a user namespace here (%v): %s", nobody, err, out)
	}
	return e
}

// command runs this test binary as nobody in nobody's folder, as compare
// with args unless args run tests, with the TUN node in NMX_TUN_DEVICE.
func (e *rootlessEnv) command(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), e.bin, args...)
	cmd.Dir = e.out
	cmd.Env = append(os.Environ(), kernel.TUNDeviceEnv+"="+e.tun)
	if len(args) == 0 || !strings.HasPrefix(args[0], "-test.") {
		cmd.Env = append(cmd.Env, asCompareEnv+"=1")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// TestUsernsProbeHelper is newRootlessEnv's probe: it starts a child in a
// user and network namespace of its own, as rootless compare does.
func TestUsernsProbeHelper(t *testing.T) {
	if os.Getenv("NMX_USERNS_PROBE") != "1" {
		t.Skip("run by newRootlessEnv")
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	require.NoError(t, cmd.Run())
}

// TestRootlessKernelLink runs the kernel path as uid 65534 and as root
// with the same flags, and gets the same results: the link's seed drops
// the same UDP messages, TCP delivers everything, TCP_INFO is there, and
// the files written belong to the user.
func TestRootlessKernelLink(t *testing.T) {
	e := newRootlessEnv(t)
	needKernel(t)
	args := []string{"-link", "kernel", "-loss", "3%", "-delay", "2ms", "-seed", "3", "-workload", "stream,bulk",
		"-transports", "tcp,udp", "-count", "150", "-interval", "2ms", "-duration", "300ms", "-format", "json"}

	cmd := e.command(t, append(args, "-o", "run.json", "-save", "-save-dir", "saved")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	f, err := os.Open(filepath.Join(e.out, "run.json"))
	require.NoError(t, err)
	rootless, err := results.ReadJSON(f)
	f.Close()
	require.NoError(t, err)
	require.Len(t, rootless, 1)
	saved, err := filepath.Glob(filepath.Join(e.out, "saved", "*", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, saved, "-save wrote its folder")
	for _, p := range append(saved, filepath.Join(e.out, "run.json"), filepath.Dir(saved[0])) {
		assert.Equal(t, nobody, owner(t, p), "%s belongs to the user, not to root", p)
	}

	code, out, errs := run(t, t.Context(), args...)
	require.Equal(t, exitOK, code, errs)
	roots := records(t, out, 1)
	root := roots[0]

	rows, rootRows := resultRows(t, rootless[0]), resultRows(t, root)
	assert.Equal(t, keys(rootRows), keys(rows), "the same rows as root's")
	for k, r := range rows {
		assert.Empty(t, r.Error, k)
		require.NotNil(t, r.Path, k)
	}
	udp := rows["stream/udp"]
	assert.Positive(t, udp.Lost, "the link dropped messages")
	assert.EqualValues(t, udp.Path.Up.Lost, udp.Lost, "UDP lost what the link dropped")
	assert.Equal(t, rootRows["stream/udp"].Lost, udp.Lost, "the seed dropped the same messages as root's run")
	assert.InDelta(t, 0.03, float64(rows["bulk/udp"].Lost)/float64(rows["bulk/udp"].Sent), 0.015, "UDP bulk lost about 3%")
	tcp := rows["stream/tcp"]
	assert.Equal(t, tcp.Sent, tcp.Delivered, "TCP delivered everything")
	assert.Zero(t, tcp.Lost)
	if v := rows["bulk/tcp"].Verified; assert.NotNil(t, v) {
		assert.True(t, *v, "TCP's bytes arrived intact")
	}
	for _, k := range []string{"stream/tcp", "bulk/tcp"} {
		ts := rows[k].TransportStats
		assert.EqualValues(t, 1448, ts["tcp_snd_mss"], "%s: TCP_INFO", k)
		assert.GreaterOrEqual(t, ts["tcp_min_rtt_us"], uint64(4000), "%s: the link's 4 ms round trip", k)
	}
	assertNoneLeft(t, e)
}

// TestRootlessExec runs -exec as uid 65534: output and exit code come
// through, and the command ends with compare, whether compare is told to
// stop (SIGTERM, passed on to the child in the user namespace) or killed
// outright (the child's parent-death signal).
func TestRootlessExec(t *testing.T) {
	e := newRootlessEnv(t)
	t.Run("output and exit code", func(t *testing.T) {
		cmd := e.command(t, "-link", "kernel", "-exec", "echo hello from $NMX_CLIENT to $NMX_SERVER; exit 3")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code, _ := kernel.ExitCode(err)
		assert.Equal(t, 3, code, "%v: %s", err, stderr.String())
		assert.Equal(t, "hello from 10.77.0.1 to 10.77.0.2\n", stdout.String())
		assert.Contains(t, stderr.String(), "compare: link up ")
	})
	t.Run("compare's servers over the link", func(t *testing.T) {
		// The command is this test binary again: it must find no mark
		// in its environment that makes it compare.
		cmd := e.command(t, "-link", "kernel", "-delay", "5ms", "-exec", e.bin+" -test.run=^TestExecHelper$ -- dial tcp 7007")
		cmd.Env = append(cmd.Env, "NMX_EXEC_HELPER=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		assert.Contains(t, stdout.String(), "echoed by 10.77.0.2:7007 from 10.77.0.1")
	})
	for _, tc := range []struct {
		sig  syscall.Signal
		code int // compare's; -1 for none
	}{
		{syscall.SIGTERM, 128 + int(syscall.SIGTERM)}, // the command's, as a shell reports it
		{syscall.SIGINT, 128 + int(syscall.SIGTERM)},  // the command is stopped with SIGTERM
		{syscall.SIGKILL, -1},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			pidFile := filepath.Join(e.out, "pid")
			os.Remove(pidFile)
			cmd := e.command(t, "-link", "kernel", "-exec", "echo $$ > pid; exec sleep 30")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			var pid int
			require.Eventually(t, func() bool {
				b, err := os.ReadFile(pidFile)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return err == nil && pid > 0
			}, 10*time.Second, 10*time.Millisecond, "the command started")
			assert.Equal(t, nobody, owner(t, pidFile), "the command writes as the user")

			require.NoError(t, cmd.Process.Signal(tc.sig))
			assert.Eventually(t, func() bool { return !running(pid) }, 3*time.Second, 10*time.Millisecond, "the command ended with compare, at once")
			err := cmd.Wait()
			if code, _ := kernel.ExitCode(err); tc.code >= 0 {
				assert.Equal(t, tc.code, code, "%v: %s", err, stderr.String())
			}
			assertNoneLeft(t, e)
		})
	}
}

// TestRootlessRefused runs compare as uid 65534 where it may not make a
// user namespace, and gets one line, at once, that says why. The host is
// left alone: compare runs in a user namespace of the test's own, whose
// user.max_user_namespaces is 0 (a limit that counts in every namespace
// below it), and the TUN device is of nobody's, so the refusal is the
// user namespace's alone.
func TestRootlessRefused(t *testing.T) {
	if os.Getenv("NMX_NO_USERNS") == "1" {
		noUsernsHelper()
		return
	}
	e := newRootlessEnv(t)
	// The helper is root in a user namespace that maps root and nobody
	// to themselves; it runs compare as nobody in it.
	helper := exec.CommandContext(t.Context(), e.bin, "-test.run=^TestRootlessRefused$")
	helper.Dir = e.out
	helper.Env = append(os.Environ(), "NMX_NO_USERNS=1", kernel.TUNDeviceEnv+"="+e.tun)
	ids := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nobody, HostID: nobody, Size: 1}}
	helper.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, UidMappings: ids, GidMappings: ids, GidMappingsEnableSetgroups: true}
	var stdout, stderr bytes.Buffer
	helper.Stdout, helper.Stderr = &stdout, &stderr
	start := time.Now()
	err := helper.Run()
	took := time.Since(start)
	code, _ := kernel.ExitCode(err)
	assert.Equal(t, exitFail, code, "%v: %s", err, stderr.String())
	assert.Less(t, took, time.Second, "it fails at once")
	assert.Empty(t, stdout.String())
	assert.Equal(t, "compare: -link kernel: the kernel path without root needs a user namespace, and this system disables them (user.max_user_namespaces=0): ask an admin to allow some (sysctl -w user.max_user_namespaces=10000), or run as root (sudo)\n", stderr.String())
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	require.NoError(t, err)
	assert.NotEqual(t, "0\n", string(b), "the host's limit is untouched")
}

// noUsernsHelper is TestRootlessRefused's helper: it forbids user
// namespaces in its own and runs compare as nobody there.
func noUsernsHelper() {
	if err := os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(100)
	}
	cmd := exec.Command("/proc/self/exe", "-link", "kernel", "-count", "5")
	cmd.Env = append(os.Environ(), asCompareEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	code, ok := kernel.ExitCode(cmd.Run())
	if !ok {
		os.Exit(101)
	}
	os.Exit(code)
}

// TestRootlessTUNRefused runs compare as uid 65534 with a TUN node it may
// not open, and with none, and gets one line that says what to do.
func TestRootlessTUNRefused(t *testing.T) {
	e := newRootlessEnv(t)
	rootsNode := filepath.Join(filepath.Dir(e.tun), "roots-tun")
	require.NoError(t, unix.Mknod(rootsNode, unix.S_IFCHR|0o600, int(unix.Mkdev(10, 200))))
	for node, want := range map[string]string{
		rootsNode:                "the kernel path cannot open the TUN device " + rootsNode + " (NMX_TUN_DEVICE) (permission denied): give this user read and write access",
		rootsNode + "-not-there": "NMX_TUN_DEVICE names the TUN device node " + rootsNode + "-not-there, and there is none",
	} {
		cmd := e.command(t, "-link", "kernel", "-count", "5")
		cmd.Env = append(cmd.Env, kernel.TUNDeviceEnv+"="+node)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code, _ := kernel.ExitCode(err)
		assert.Equal(t, exitFail, code, "%v", err)
		assert.Empty(t, stdout.String())
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		assert.Contains(t, stderr.String(), want)
	}
}

// resultRows are rec's results by workload/transport.
func resultRows(t *testing.T, rec results.Record) map[string]results.Result {
	t.Helper()
	rows := make(map[string]results.Result)
	for _, r := range rec.Results {
		rows[r.Workload+"/"+r.Transport] = r
	}
	return rows
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// owner is the uid that owns path.
func owner(t *testing.T, path string) int {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(path, &st), path)
	return int(st.Uid)
}

// running reports whether process pid runs (the dead waiting to be
// reaped do not).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !bytes.Contains(b[bytes.LastIndexByte(b, ')'):], []byte(") Z "))
}

// assertNoneLeft checks that no process runs e's binary any more (compare
// and the child it started in the user namespace), and that no network
// namespace or TUN device of ours (nmx...) is in the host's view.
func assertNoneLeft(t *testing.T, e *rootlessEnv) {
	t.Helper()
	assert.Eventually(t, func() bool {
		exes, _ := filepath.Glob("/proc/[0-9]*/exe")
		for _, exe := range exes {
			if target, err := os.Readlink(exe); err == nil && target == e.bin {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(exe)))
				if running(pid) {
					return false
				}
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond, "a compare still runs")
	if _, err := exec.LookPath("ip"); err != nil {
		return
	}
	for _, args := range [][]string{{"netns", "list"}, {"-o", "link", "show", "type", "tun"}} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %s: %s", strings.Join(args, " "), out)
		assert.NotContains(t, string(out), "nmx", "ip %s", strings.Join(args, " "))
	}
}
