package http

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// server, connection and client a test starts must be gone at the end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer serves h on a loopback port until the test ends, then shuts
// down and checks that Serve returned.
func startServer(tb testing.TB, h Handler, cfg Config) (addr string, srv *Server) {
	tb.Helper()
	return startServerWith(tb, &Server{Handler: h, Config: cfg})
}

func startServerWith(tb testing.TB, srv *Server) (string, *Server) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(tb, srv.Shutdown(ctx))
		select {
		case err := <-done:
			require.ErrorIs(tb, err, ErrServerClosed)
		case <-time.After(5 * time.Second):
			tb.Fatal("Serve did not return after Shutdown")
		}
	})
	return ln.Addr().String(), srv
}

// dial opens a raw TCP connection to addr, closed when the test ends.
func dial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(tb, err)
	require.NoError(tb, c.SetDeadline(time.Now().Add(10*time.Second)))
	tb.Cleanup(func() { c.Close() })
	return c
}

// readResp reads one response off br with net/http's parser (an
// independent check of what we wrote) and returns it with its body.
func readResp(tb testing.TB, br *bufio.Reader, method string) (*nethttp.Response, string) {
	tb.Helper()
	resp, err := nethttp.ReadResponse(br, &nethttp.Request{Method: method})
	require.NoError(tb, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	resp.Body.Close()
	return resp, string(body)
}

// exchange sends raw on a new connection and reads one response.
func exchange(tb testing.TB, addr, raw string) (*nethttp.Response, string) {
	tb.Helper()
	c := dial(tb, addr)
	_, err := io.WriteString(c, raw)
	require.NoError(tb, err)
	method, _, _ := strings.Cut(raw, " ")
	return readResp(tb, bufio.NewReader(c), method)
}

// waitClosed reports whether the server closed c (EOF or reset) within d.
func waitClosed(tb testing.TB, c net.Conn, d time.Duration) bool {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false
		}
		return true
	}
}

// echoHandler answers with the method, path and body it got.
func echoHandler(w ResponseWriter, r *Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(StatusOf(err))
		w.WriteString(err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteString(r.Method + " " + r.Target + "\n")
	w.Write(body)
}
