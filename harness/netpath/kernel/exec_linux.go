//go:build linux

package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// serverWait bounds the wait for Programs.Server to listen before the
// client starts anyway.
const serverWait = 5 * time.Second

// Run runs ps over the path: the server (if any) in the server's host
// until it listens, then the client in the client's host, with the
// terminal when Stdin is one. It returns once the client has ended, and
// everything it started in its process group with it, with the client's
// exit status as a shell reports it (128 plus the signal's number for a
// program a signal ended); the server's group is ended then. Cancelling
// ctx ends both. err reports a program that could not start, not one
// that failed.
func (p *Path) Run(ctx context.Context, ps Programs) (code int, err error) {
	env := append(os.Environ(), ps.Env...)
	if def, err := p.client.defaultCongestionControl(); err == nil && def != p.client.opts.CongestionControl && ps.Stderr != nil {
		fmt.Fprintf(ps.Stderr, "kernel: note: programs here get TCP congestion control %s unless they choose: the host does not let a namespace default to %s (net.ipv4.tcp_allowed_congestion_control)\n", def, p.client.opts.CongestionControl)
	}
	if ps.Server != "" {
		before, err := p.server.listening()
		if err != nil {
			return 0, err
		}
		srv := shellCommand(ctx, ps.Server, env)
		srv.Stdout, srv.Stderr = ps.Stderr, ps.Stderr
		if err := p.server.start(srv); err != nil {
			return 0, fmt.Errorf("kernel: server program: %w", err)
		}
		// srvDone closes when the server has ended, srvErr says how: a
		// channel closed rather than sent on, so that both the wait for
		// it to listen and the teardown can see the end.
		srvDone := make(chan struct{})
		var srvErr error
		go func() { srvErr = srv.Wait(); close(srvDone) }()
		defer func() {
			endGroup(srv.Process.Pid)
			<-srvDone
		}()
		if err := waitListening(ctx, p.server, before, srvDone, &srvErr); err != nil {
			return 0, fmt.Errorf("kernel: server program: %w", err)
		}
	}

	cmd := shellCommand(ctx, ps.Client, env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ps.Stdin, ps.Stdout, ps.Stderr
	restore := foreground(cmd)
	err = p.client.start(cmd)
	if err == nil {
		// What the client left running in the background goes when it
		// ends, with the path: wait for its end (not reaping it, so
		// Wait still can) before its output, which a background job
		// may hold open.
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
		endGroup(cmd.Process.Pid)
		err = cmd.Wait()
	}
	restore()
	if code, ok := ExitCode(err); ok {
		return code, nil
	}
	return 0, fmt.Errorf("kernel: client program: %w", err)
}

// ExitCode is the exit status of a program whose Wait or Run returned
// err, as a shell reports it: 0 for nil, 128 plus the signal's number for
// a program a signal ended. ok is false where err is not a program's end
// (it could not start, say). Whoever runs a path's programs in a process
// of its own (compare without root) passes the status on with it.
func ExitCode(err error) (code int, ok bool) {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), true
		}
		return exit.ExitCode(), true
	}
	return 0, false
}

// shellCommand runs script with /bin/sh, in a process group of its own:
// Ctrl-C at the terminal is for the client alone (see foreground), and
// the whole group, whatever the script started, can be stopped at once.
// Cancelling ctx stops the group.
func shellCommand(ctx context.Context, script string, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { endGroup(cmd.Process.Pid); return nil }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// endGroup stops process group pgid, which this process started: SIGTERM,
// and SIGKILL for what is still there a second later. A process left in
// a namespace whose link is gone would only hang, and hold the namespace.
func endGroup(pgid int) {
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return // nothing left in it
	}
	for range 100 {
		if !groupLives(pgid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// groupLives reports whether a process of group pgid still runs: the
// dead that wait to be reaped (the group's leader among them, until
// Wait) count as gone.
func groupLives(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold anything, so
		// the fields are counted from its closing parenthesis.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" && fields[0] != "X" {
			return true
		}
	}
	return false
}

// foreground gives the terminal to cmd while it runs, when its standard
// input is this process's terminal, as a shell does for the job it runs:
// Ctrl-C then reaches the command alone (an interactive shell in the
// namespace keeps running) and the command can read the terminal. The
// returned func takes the terminal back.
func foreground(cmd *exec.Cmd) (restore func()) {
	in, ok := cmd.Stdin.(*os.File)
	if !ok {
		return func() {}
	}
	fd := int(in.Fd())
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		return func() {} // no terminal, or this process runs in the background
	}
	cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, fd
	return func() {
		// Taking the terminal back from the background sends SIGTTOU,
		// which would stop this process, unless ignored meanwhile.
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
		unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, pgrp)
	}
}

// waitListening waits until more than before sockets listen in h: the
// server program is ready. It gives up waiting after serverWait and
// fails if the program ends first.
func waitListening(ctx context.Context, h *Host, before int, exited <-chan struct{}, exitErr *error) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(serverWait)
	for {
		if n, err := h.listening(); err != nil || n > before {
			return err
		}
		select {
		case <-exited:
			return fmt.Errorf("ended before it listened: %v", *exitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-tick.C:
		}
	}
}
