//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"netmatrix/harness/netpath/kernel"
)

// rootless runs this command line again, as root of a new user
// namespace, where this process is not root: there the kernel path is
// built as root builds it, and the results are the same. Its standard
// input, output and error are this process's, SIGINT and SIGTERM are
// passed on, and its exit code is returned. done is false where it does
// not apply: as root (the capabilities are missing for another reason),
// in the child itself, and with -target, which measures a server out
// there that the namespace could not reach and needs no path.
func (c *compareCmd) rootless(ctx context.Context, stdout, stderr io.Writer) (code int, done bool) {
	if os.Geteuid() == 0 || usernsChild || c.target.URL != "" {
		return 0, false
	}
	// /proc/self/exe, not os.Args[0]: the binary this process runs,
	// wherever it is and even if its file was replaced since. Its
	// argv[0] is this one's, for ps.
	cmd := exec.Command("/proc/self/exe", c.args...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), usernsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// SIGTERM, not SIGKILL, should this process die: the child then
	// stops what -exec started, as on Ctrl-C, and its namespaces go
	// with it. (The signal comes when the thread that started the child
	// ends; the runtime ends none but a thread a goroutine locked and
	// left locked, and this one is not.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	// A process -exec left running could hold a pipe to stdout open.
	cmd.WaitDelay = 5 * time.Second
	// Caught before the start, so no signal falls between it and the
	// forwarding.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := kernel.StartUserns(cmd); err != nil {
		fmt.Fprintf(stderr, "compare: -link kernel: %v\n", err)
		return exitFail, true
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	ended := ctx.Done()
	for {
		select {
		case err := <-waited:
			if code, ok := kernel.ExitCode(err); ok {
				return code, true
			}
			fmt.Fprintf(stderr, "compare: -link kernel in a user namespace: %v\n", err)
			return exitFail, true
		case s := <-sigs:
			cmd.Process.Signal(s)
		case <-ended:
			// For a caller of Main whose ctx ends without a signal; on
			// a signal the child gets this SIGTERM as well, which does
			// no more than the signal.
			cmd.Process.Signal(syscall.SIGTERM)
			ended = nil
		}
	}
}
