//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/kernel"
	"netmatrix/quic"
)

// execPort is where compare's own servers listen on the server's side
// during -exec: echo (TCP and UDP), sinks on the next port, QUIC's echo
// and sink on the two after, as `compare serve` lays them out.
const execPort = 7007

// fingerprintEnv names the environment variable that gives -exec and
// -exec-server the certificate fingerprint of compare's QUIC servers, for
// a client's -fingerprint.
const fingerprintEnv = "NMX_QUIC_FINGERPRINT"

// execOnKernel builds the kernel path the link flags describe, runs
// compare's servers on the server's side, and -exec-server and -exec
// over it (kernel.Path.Run), and tears everything down when -exec ends.
// Its exit code is the command's.
func (c *compareCmd) execOnKernel(ctx context.Context, stdout, stderr io.Writer) int {
	stdout, stderr = shared(stdout, stderr)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return exitFail
	}
	spec, err := c.link.ValidSpec()
	if err != nil {
		return fail(err)
	}
	p, err := kernel.New(ctx, spec, netpath.Options{CongestionControl: c.link.CC})
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
	fmt.Fprintf(stderr, "compare: kernel path %s: client %s, server %s ($%s); echo on tcp and udp :%d, sinks :%d, QUIC echo :%d and sink :%d ($%s)\n",
		spec.Describe(), client.Addr(), server.Addr(), kernel.ServerEnv, execPort, execPort+1, execPort+2, execPort+3, fingerprintEnv)

	code, err := p.Run(ctx, kernel.Programs{
		Client: c.link.exec, Server: c.link.execServer,
		Env:   []string{fingerprintEnv + "=" + id.Fingerprint()},
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
	})
	st, _ := p.Stats()
	fmt.Fprintf(stderr, "compare: link up %s; down %s; TCP retransmissions %d\n", st.Up, st.Down, st.TCPRetransmits)
	if err != nil {
		return fail(err)
	}
	return code
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
