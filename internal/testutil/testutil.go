package testutil

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// NeedTool returns the path of an outside program a test drives, or skips
// the test saying what is missing and how CI gets it.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Skipf("%s is not installed (CI installs it from .ci/run: apt-get install %s)", name, debPackage(name))
	}
	return p
}

func debPackage(tool string) string {
	switch tool {
	case "nc":
		return "netcat-openbsd"
	}
	return tool
}

// Run runs a tool to completion with stdin, bounded by timeout, and
// returns its standard output. The child is killed if the test's time
// runs out, so a hung tool cannot outlive the test.
func Run(tb testing.TB, timeout time.Duration, stdin []byte, name string, args ...string) ([]byte, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		tb.Logf("%s %v: %v; stderr: %s", name, args, err, errb.String())
	}
	return out.Bytes(), err
}

// Start starts a tool in the background and stops it (by its own pid)
// when the test ends. Its standard output goes to stdout, if not nil.
func Start(tb testing.TB, stdout io.Writer, name string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(name, args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &errb
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("%s stderr: %s", name, errb.String())
		}
	})
	return cmd
}

// FreePort returns a loopback port that was free a moment ago, for an
// outside server that must be told its port. Another process could take
// it in between; on a test machine that is rare enough.
func FreePort(tb testing.TB, network string) int {
	tb.Helper()
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	default:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
}

// ConnPair dials ln with dial and returns both ends of the connection,
// each closed when the test ends. ln stays the caller's to close: its
// Close is what frees the accepting goroutine if the dial fails.
func ConnPair(tb testing.TB, ln net.Listener, dial func(addr string) (net.Conn, error)) (client, server net.Conn) {
	tb.Helper()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	client, err := dial(ln.Addr().String())
	if err != nil {
		tb.Fatalf("dial %s: %v", ln.Addr(), err)
	}
	tb.Cleanup(func() { client.Close() })
	a := <-ch
	if a.err != nil {
		tb.Fatalf("accept: %v", a.err)
	}
	tb.Cleanup(func() { a.c.Close() })
	return client, a.c
}

// MsgConn is a transport's echo client, which moves whole messages.
type MsgConn interface {
	WriteMsg(msg []byte) error
	ReadMsg(buf []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// Echo sends msg on c and returns the reply, read within 5 seconds into
// a buffer of len(msg). It writes from a second goroutine: a large
// message may not fit the flow-control windows or socket buffers before
// the echo drains them, and a write that waited for them would never
// see the reply read.
func Echo(tb testing.TB, c MsgConn, msg []byte) []byte {
	tb.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.WriteMsg(msg) }()
	got := make([]byte, len(msg))
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	n, err := c.ReadMsg(got)
	if err != nil {
		tb.Fatalf("echo of %d bytes: %v", len(msg), err)
	}
	if err := <-errc; err != nil {
		tb.Fatalf("write of %d bytes: %v", len(msg), err)
	}
	return got[:n]
}

// WaitListening waits until something accepts TCP connections at addr.
func WaitListening(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nothing listens at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Serve runs serve in the background until the test ends or stop is
// called, then cancels its context, waits for it and fails the test if
// it returned an error or did not return within 10 seconds: a server a
// test starts is always stopped, also when the test fails. stop may be
// called more than once; a test calls it to see the server stop.
func Serve(tb testing.TB, serve func(ctx context.Context) error) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	var once sync.Once
	stop = func() {
		tb.Helper()
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("server: %v", err)
				}
			case <-time.After(10 * time.Second):
				tb.Fatal("server did not return after cancel")
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// EchoPackets sends every datagram pc receives back to its sender, until
// pc is closed; the test's cleanup closes pc and waits for the echo to
// end, so no goroutine outlives the test.
func EchoPackets(tb testing.TB, pc net.PacketConn) {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	tb.Cleanup(func() {
		pc.Close()
		<-done
	})
}

// SyncBuffer is a bytes.Buffer that a server's goroutines or a child
// process's output copier can write while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Len is the number of bytes written so far.
func (s *SyncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// Bytes is a copy of what was written so far.
func (s *SyncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// String is what was written so far.
func (s *SyncBuffer) String() string { return string(s.Bytes()) }
