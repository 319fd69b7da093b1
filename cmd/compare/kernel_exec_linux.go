//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"netmatrix/harness"
	"netmatrix/harness/link"
	"netmatrix/quic"
)

// execPort is where compare's own servers listen on the server's side
// during -exec: echo (TCP and UDP), sinks on the next port, QUIC's echo
// and sink on the two after, as `compare serve` lays them out.
const execPort = 7007

// execWait bounds the wait for -exec-server to listen before -exec starts
// anyway.
const execWait = 5 * time.Second

// execOnKernel builds the kernel path the link flags describe, runs
// compare's servers and -exec-server on the server's side and -exec on
// the client's, and tears everything down when -exec ends. Its exit code
// is the command's.
func (c *compareCmd) execOnKernel(ctx context.Context, stdout, stderr io.Writer) int {
	stdout, stderr = shared(stdout, stderr)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	spec, err := c.link.spec()
	if err == nil {
		err = spec.Validate()
	}
	if err != nil {
		return fail(err)
	}
	p, err := harness.NewKernelPath(ctx, spec, harness.KernelCongestionControl(c.link.cc))
	if err != nil {
		return fail(err)
	}
	defer p.Close()
	client, server := p.Hosts()

	// compare's own servers, so there is something to talk to with no
	// -exec-server. serve writes its first line once every socket is
	// open: that is the sign they listen.
	sctx, stopServe := context.WithCancel(ctx)
	ready := &firstWrite{ch: make(chan struct{})}
	served := make(chan error, 1)
	go func() {
		served <- server.Do(func() error { return serve(sctx, p.ServerHost(), execPort, serveOptions{}, ready) })
	}()
	defer func() { stopServe(); <-served }()
	select {
	case <-ready.ch:
	case err := <-served:
		return fail(fmt.Errorf("compare's servers on the kernel path: %w", err))
	}
	id, err := quic.DefaultIdentity()
	if err != nil {
		return fail(err)
	}
	env := append(os.Environ(), "NMX_QUIC_FINGERPRINT="+id.Fingerprint())
	fmt.Fprintf(stderr, "compare: kernel path %s: client %s, server %s ($%s); echo on tcp and udp :%d, sinks :%d, QUIC echo :%d and sink :%d ($NMX_QUIC_FINGERPRINT)\n",
		describeSpec(spec), client.Addr(), server.Addr(), harness.KernelServerEnv, execPort, execPort+1, execPort+2, execPort+3)
	if def, err := client.DefaultCongestionControl(); err == nil && def != c.link.cc {
		fmt.Fprintf(stderr, "compare: note: programs here get TCP congestion control %s unless they choose: the host does not let a namespace default to %s (net.ipv4.tcp_allowed_congestion_control)\n", def, c.link.cc)
	}

	if c.link.execServer != "" {
		before, err := server.Listening()
		if err != nil {
			return fail(err)
		}
		srv := shellCommand(ctx, c.link.execServer, env)
		srv.Stdout, srv.Stderr = stderr, stderr
		if err := server.Start(srv); err != nil {
			return fail(fmt.Errorf("-exec-server: %w", err))
		}
		srvDone := make(chan error, 1)
		go func() { srvDone <- srv.Wait() }()
		defer func() {
			endGroup(srv.Process.Pid)
			<-srvDone
		}()
		if err := waitListening(ctx, server, before, srvDone); err != nil {
			return fail(fmt.Errorf("-exec-server: %w", err))
		}
	}

	cmd := shellCommand(ctx, c.link.exec, env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	restore := foreground(cmd)
	err = client.Start(cmd)
	if err == nil {
		// What the command left running in the background goes when it
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
	st := p.Stats()
	fmt.Fprintf(stderr, "compare: link up %s; down %s; TCP retransmissions %d\n", countersLine(st.Up), countersLine(st.Down), st.TCPRetransmits)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()) // as a shell reports it
		}
		return exit.ExitCode()
	}
	return fail(fmt.Errorf("-exec: %w", err))
}

// shellCommand runs script with /bin/sh, in a process group of its own:
// Ctrl-C at the terminal is for the -exec command alone (see foreground),
// and the whole group, whatever the script started, can be stopped at
// once. Cancelling ctx (Ctrl-C or SIGTERM to compare) stops the group.
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

// foreground gives the terminal to cmd while it runs, when standard input
// is one, as a shell does for the job it runs: Ctrl-C then reaches the
// command alone (an interactive shell in the namespace keeps running) and
// the command can read the terminal. The returned func takes the
// terminal back.
func foreground(cmd *exec.Cmd) (restore func()) {
	fd := int(os.Stdin.Fd())
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		return func() {} // no terminal, or compare itself runs in the background
	}
	cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, fd
	return func() {
		// Taking the terminal back from the background sends SIGTTOU,
		// which would stop compare, unless ignored meanwhile.
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
		unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, pgrp)
	}
}

// waitListening waits until more than before sockets listen in h: the
// -exec-server command is ready. It gives up waiting after execWait
// (a server that only connects out is as good as ready) and fails if the
// command ends first.
func waitListening(ctx context.Context, h *harness.KernelHost, before int, exited <-chan error) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(execWait)
	for {
		if n, err := h.Listening(); err != nil || n > before {
			return err
		}
		select {
		case err := <-exited:
			return fmt.Errorf("ended before it listened: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-tick.C:
		}
	}
}

// shared makes stdout and stderr safe to write from the commands' output
// copiers and compare at once. Files need nothing: the commands get their
// descriptors and write to them directly (a terminal stays a terminal).
func shared(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	var mu sync.Mutex
	wrap := func(w io.Writer) io.Writer {
		if _, ok := w.(*os.File); ok {
			return w
		}
		return &lockedWriter{mu: &mu, w: w}
	}
	return wrap(stdout), wrap(stderr)
}

// lockedWriter is a writer shared under a lock.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// firstWrite discards what is written to it and closes ch at the first
// write.
type firstWrite struct {
	once sync.Once
	ch   chan struct{}
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ch) })
	return len(p), nil
}

// describeSpec is the link in a few words, for the line -exec starts with.
func describeSpec(spec link.Spec) string {
	c := spec.Up.WithDefaults()
	s := fmt.Sprintf("%q (loss %g%%, delay %v, jitter %v", spec.Name, 100*c.Loss, c.Delay, c.Jitter)
	if c.Bandwidth > 0 {
		s += fmt.Sprintf(", %d bit/s", c.Bandwidth)
	}
	if spec.Up != spec.Down {
		s += "; down differs"
	}
	return s + fmt.Sprintf(", seed %d)", spec.Seed)
}

// countersLine is what one direction of the link did.
func countersLine(c link.Counters) string {
	return fmt.Sprintf("%d packets, %d forwarded, %d lost, %d queue drops, %d duplicated, %d reordered",
		c.Packets, c.Forwarded, c.Lost, c.QueueDrops, c.Duplicated, c.Reordered)
}
