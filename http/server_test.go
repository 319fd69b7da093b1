package http

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testMux() *ServeMux {
	mux := NewServeMux()
	mux.HandleFunc("GET /hello", helloHandler)
	mux.HandleFunc("/echo", echoHandler)
	mux.HandleFunc("GET /stream", func(w ResponseWriter, r *Request) {
		// More than the response buffer holds: goes out chunked.
		chunk := strings.Repeat("0123456789", 1000)
		for range 10 {
			w.WriteString(chunk)
		}
	})
	mux.HandleFunc("GET /path/*", func(w ResponseWriter, r *Request) { w.WriteString("prefix " + r.Path) })
	return mux
}

func TestPipeliningKeepsOrder(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := dial(t, addr)
	// Three requests in one write, one with a Content-Length body and one
	// chunked: the responses must come back in request order.
	_, err := io.WriteString(c, "GET /path/one HTTP/1.1\r\nHost: a\r\n\r\n"+
		"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"+
		"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"+
		"GET /path/three HTTP/1.1\r\nHost: a\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	want := []string{"prefix /path/one", "POST /echo\nfirst", "POST /echo\nsecond", "prefix /path/three"}
	for i, w := range want {
		resp, body := readResp(t, br, "GET")
		assert.Equal(t, 200, resp.StatusCode, "response %d", i)
		assert.Equal(t, w, body, "response %d", i)
		assert.False(t, resp.Close)
	}
}

func TestKeepAliveServesManyRequests(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for i := range 50 {
		fmt.Fprintf(c, "GET /path/%d HTTP/1.1\r\nHost: a\r\n\r\n", i)
		_, body := readResp(t, br, "GET")
		require.Equal(t, fmt.Sprintf("prefix /path/%d", i), body)
	}
}

func TestHeadHasNoBody(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	resp, body := readResp(t, br, "HEAD")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "13", resp.Header.Get("Content-Length"), "HEAD gets GET's length")
	assert.Empty(t, body)
	// Had the HEAD response carried a body, this would read it as the
	// status line and fail.
	resp, body = readResp(t, br, "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "Hello, World!", body)
}

func TestDateHeader(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	resp, _ := exchange(t, addr, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	d, err := time.Parse(TimeFormat, resp.Header.Get("Date"))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), d, 5*time.Second)
}

func TestChunkedResponse(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	resp, body := exchange(t, addr, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	assert.Equal(t, strings.Repeat("0123456789", 10000), body)
}

func TestHTTP10(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	t.Run("closes without keep-alive", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /hello HTTP/1.0\r\n\r\n")
		resp, body := readResp(t, bufio.NewReader(c), "GET")
		assert.Equal(t, "Hello, World!", body)
		assert.True(t, resp.Close)
		assert.True(t, waitClosed(t, c, 2*time.Second))
	})
	t.Run("keep-alive", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		for range 2 {
			io.WriteString(c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			resp, body := readResp(t, br, "GET")
			assert.Equal(t, "Hello, World!", body)
			assert.Equal(t, "keep-alive", resp.Header.Get("Connection"))
		}
	})
	t.Run("no chunking for a 1.0 client", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /stream HTTP/1.0\r\n\r\n")
		raw, err := io.ReadAll(c)
		require.NoError(t, err)
		head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
		assert.NotContains(t, head, "chunked")
		assert.Equal(t, strings.Repeat("0123456789", 10000), body, "body ends when the connection closes")
	})
}

func TestConnectionClose(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := dial(t, addr)
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	resp, _ := readResp(t, bufio.NewReader(c), "GET")
	assert.True(t, resp.Close)
	assert.True(t, waitClosed(t, c, 2*time.Second))
}

func TestExpectContinue(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	t.Run("handler reads the body", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
		blank, _ := br.ReadString('\n')
		assert.Equal(t, "\r\n", blank)
		io.WriteString(c, "body")
		resp, body := readResp(t, br, "POST")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "POST /echo\nbody", body)
	})
	t.Run("handler ignores the body", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, "POST /hello HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		resp, _ := readResp(t, br, "POST")
		assert.Equal(t, 405, resp.StatusCode, "no 100 Continue first")
		assert.True(t, resp.Close, "the unread body may or may not come: close")
	})
}

func TestMaxBodyBytes(t *testing.T) {
	var gotErr atomic.Value
	mux := NewServeMux()
	mux.HandleFunc("/read", func(w ResponseWriter, r *Request) {
		_, err := io.ReadAll(r.Body)
		gotErr.Store(err)
		w.WriteString("handler done")
	})
	addr, _ := startServer(t, mux, Config{MaxBodyBytes: 10})
	resp, _ := exchange(t, addr, "POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
	assert.Equal(t, 413, resp.StatusCode, "the buffered 200 is replaced")
	var mb *MaxBytesError
	require.ErrorAs(t, gotErr.Load().(error), &mb)
	assert.Equal(t, int64(10), mb.Limit)
}

func TestServeMux(t *testing.T) {
	mux := NewServeMux()
	mux.HandleFunc("GET /", func(w ResponseWriter, r *Request) { w.WriteString("root") })
	mux.HandleFunc("GET /a/*", func(w ResponseWriter, r *Request) { w.WriteString("a prefix") })
	mux.HandleFunc("GET /a/b/*", func(w ResponseWriter, r *Request) { w.WriteString("a/b prefix") })
	mux.HandleFunc("GET /a/exact", func(w ResponseWriter, r *Request) { w.WriteString("exact") })
	mux.HandleFunc("POST /a/exact", func(w ResponseWriter, r *Request) { w.WriteString("posted") })
	addr, _ := startServer(t, mux, Config{})
	tests := []struct {
		req, body, allow string
		status           int
	}{
		{"GET / HTTP/1.1", "root", "", 200},
		{"GET /nope HTTP/1.1", "404 page not found\n", "", 404},
		{"GET /a/ HTTP/1.1", "a prefix", "", 200},
		{"GET /a/x/y HTTP/1.1", "a prefix", "", 200},
		{"GET /a/b/c HTTP/1.1", "a/b prefix", "", 200},
		{"GET /a/exact HTTP/1.1", "exact", "", 200},
		{"POST /a/exact HTTP/1.1", "posted", "", 200},
		{"HEAD /a/exact HTTP/1.1", "", "", 200},
		{"DELETE /a/exact HTTP/1.1", "405 method not allowed\n", "GET, HEAD, POST", 405},
		{"PUT / HTTP/1.1", "405 method not allowed\n", "GET, HEAD", 405},
		{"BREW / HTTP/1.1", "501 method not implemented\n", "", 501},
	}
	for _, tc := range tests {
		t.Run(tc.req, func(t *testing.T) {
			resp, body := exchange(t, addr, tc.req+"\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.body, body)
			assert.Equal(t, tc.allow, resp.Header.Get("Allow"))
		})
	}
	assert.Panics(t, func() { mux.HandleFunc("GET /a/exact", echoHandler) }, "duplicate")
	assert.Panics(t, func() { mux.HandleFunc("nopath", echoHandler) }, "no leading slash")
}

func TestResponseHeaderInjectionDropped(t *testing.T) {
	mux := NewServeMux()
	mux.HandleFunc("/", func(w ResponseWriter, r *Request) {
		w.Header().Set("X-Evil", "a\r\nSet-Cookie: stolen=1")
		w.Header().Set("X-Fine", "ok")
		w.WriteString("body")
	})
	addr, _ := startServer(t, mux, Config{})
	resp, body := exchange(t, addr, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Empty(t, resp.Header.Get("Set-Cookie"))
	assert.Empty(t, resp.Header.Get("X-Evil"))
	assert.Equal(t, "ok", resp.Header.Get("X-Fine"))
	assert.Equal(t, "body", body)
}

func TestSlowlorisIsCutOff(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{ReadHeaderTimeout: 300 * time.Millisecond})
	c := dial(t, addr)
	// A request line, then header bytes one at a time, forever.
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\n")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := io.WriteString(c, "X"); err != nil {
					return
				}
			}
		}
	})
	// Meanwhile other clients are served.
	resp, body := exchange(t, addr, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Equal(t, "Hello, World!", body)
	assert.Equal(t, 200, resp.StatusCode)

	resp, _ = readResp(t, bufio.NewReader(c), "GET")
	assert.Equal(t, 408, resp.StatusCode, "the trickling client is told it was too slow")
	assert.True(t, resp.Close)
}

func TestIdleTimeout(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{IdleTimeout: 200 * time.Millisecond})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	readResp(t, br, "GET")
	// No next request: the server must close within a few idle timeouts.
	assert.True(t, waitClosed(t, c, 5*time.Second), "idle connection closed")

	// A connection that never sends anything is idle too.
	c2 := dial(t, addr)
	assert.True(t, waitClosed(t, c2, 5*time.Second), "silent connection closed")
}

func TestBadClientsDoNotStallOthers(t *testing.T) {
	mux := testMux()
	mux.HandleFunc("/panic", func(w ResponseWriter, r *Request) { panic("handler bug") })
	var logged atomic.Int32
	srv := &Server{Handler: mux, ErrorLog: func(error) { logged.Add(1) }}
	addr, _ := startServerWith(t, srv)

	// A half-sent request that never finishes.
	stuck := dial(t, addr)
	io.WriteString(stuck, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial")
	// Garbage.
	junk := dial(t, addr)
	io.WriteString(junk, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n")
	// A handler that panics.
	resp, _ := exchange(t, addr, "GET /panic HTTP/1.1\r\nHost: a\r\n\r\n")
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, int32(1), logged.Load(), "the panic is logged")

	// Good clients, concurrently, are all served.
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 8 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			for range 10 {
				io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
				resp, err := nethttp.ReadResponse(br, nil)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				if string(b) == "Hello, World!" {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(80), ok.Load())
	resp, _ = readResp(t, bufio.NewReader(junk), "GET")
	assert.Equal(t, 400, resp.StatusCode)
}

// blockingServer serves one handler that blocks until release is closed,
// and leaves stopping the server to the test. entered is closed when the
// handler starts.
func blockingServer(t *testing.T, reply string) (addr string, srv *Server, served chan error, entered, release chan struct{}) {
	t.Helper()
	entered, release = make(chan struct{}), make(chan struct{})
	srv = &Server{Handler: HandlerFunc(func(w ResponseWriter, r *Request) {
		close(entered)
		<-release
		w.WriteString(reply)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served = make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	return ln.Addr().String(), srv, served, entered, release
}

func TestShutdownFinishesInFlight(t *testing.T) {
	addr, srv, served, entered, release := blockingServer(t, "finished")
	c := dial(t, addr)
	idle := dial(t, addr)
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	assert.True(t, waitClosed(t, idle, 5*time.Second), "idle connection closed at once")
	select {
	case <-shut:
		t.Fatal("Shutdown returned with a request in flight")
	case <-time.After(100 * time.Millisecond):
	}
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "no new connections after Shutdown")

	close(release)
	resp, body := readResp(t, bufio.NewReader(c), "GET")
	assert.Equal(t, "finished", body)
	assert.True(t, resp.Close, "the last response says the connection closes")
	require.NoError(t, <-shut)
	require.ErrorIs(t, <-served, ErrServerClosed)
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	addr, srv, served, entered, release := blockingServer(t, "")
	c := dial(t, addr)
	io.WriteString(c, "GET /stuck HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	assert.True(t, waitClosed(t, c, 2*time.Second), "connection closed when Shutdown gives up")
	close(release)
	<-served
}

func TestServeStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{Handler: testMux()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	c := dial(t, ln.Addr().String())
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	readResp(t, bufio.NewReader(c), "GET")
	cancel()
	require.NoError(t, <-served)
	assert.True(t, waitClosed(t, c, 2*time.Second))
}

func TestTLS(t *testing.T) {
	cfg, err := SelfSignedTLS("127.0.0.1")
	require.NoError(t, err)
	addr, _ := startServerWith(t, &Server{Handler: testMux(), TLSConfig: cfg})

	tr := &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: CertPool(cfg)}}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := client.Get("https://" + addr + "/hello")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Hello, World!", string(body))
	require.NotNil(t, resp.TLS)

	mux := NewServeMux()
	mux.HandleFunc("/tls", func(w ResponseWriter, r *Request) {
		if r.TLS != nil {
			fmt.Fprintf(w, "tls version %x", r.TLS.Version)
		}
	})
	addr2, _ := startServerWith(t, &Server{Handler: mux, TLSConfig: cfg})
	resp, err = client.Get("https://" + addr2 + "/tls")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "tls version")
}

func TestNetHTTPClient(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}

	var reused atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused.Add(1)
		}
	}}
	for range 3 {
		req, _ := nethttp.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+addr+"/hello", nil)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "Hello, World!", string(body))
	}
	assert.Equal(t, int32(2), reused.Load(), "keep-alive: one connection for three requests")

	// A body of unknown length: net/http sends it chunked.
	pr, pw := io.Pipe()
	go func() {
		for range 3 {
			io.WriteString(pw, "piece ")
		}
		pw.Close()
	}()
	resp, err := client.Post("http://"+addr+"/echo", "text/plain", pr)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "POST /echo\npiece piece piece ", string(body))

	resp, err = client.Get("http://" + addr + "/stream")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Len(t, body, 100000)
}

// TestPartialPipelineFlushes: with one whole request and half of the next
// buffered, the server must send the first response before it waits for
// the rest, or a client that waits for it would deadlock with us.
func TestPartialPipelineFlushes(t *testing.T) {
	addr, _ := startServer(t, testMux(), Config{})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /path/2 HTTP/1.1\r\nHo")
	_, body := readResp(t, br, "GET")
	assert.Equal(t, "Hello, World!", body)
	io.WriteString(c, "st: a\r\n\r\n")
	_, body = readResp(t, br, "GET")
	assert.Equal(t, "prefix /path/2", body)
}

// TestFlushStreams: a handler's Flush sends what it has at once, chunked,
// before the handler returns.
func TestFlushStreams(t *testing.T) {
	next := make(chan struct{})
	mux := NewServeMux()
	mux.HandleFunc("/events", func(w ResponseWriter, r *Request) {
		w.WriteString("first\n")
		require.NoError(t, w.Flush())
		<-next
		w.WriteString("second\n")
	})
	addr, _ := startServer(t, mux, Config{})
	c := dial(t, addr)
	io.WriteString(c, "GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := nethttp.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "first\n", line, "arrives while the handler still runs")
	close(next)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "second\n", string(rest))
}

// TestFlushFailsWhenTheClientLeaves: a handler that streams (server-sent
// events, say) learns from Flush that its client went away, so it can
// stop the work it streams rather than run on for no one.
func TestFlushFailsWhenTheClientLeaves(t *testing.T) {
	gone := make(chan error, 1)
	mux := NewServeMux()
	mux.HandleFunc("/events", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for {
			w.WriteString(": tick\n\n")
			if err := w.Flush(); err != nil {
				gone <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	addr, _ := startServer(t, mux, Config{})
	c := dial(t, addr)
	io.WriteString(c, "GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := nethttp.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, ": tick\n", line)
	c.Close()
	select {
	case err := <-gone:
		assert.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's Flush went on succeeding after its client left")
	}
}
