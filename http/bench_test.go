package http

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// replayConn is a net.Conn that hands out the same request again and
// again and throws responses away: a server's per-request cost with no
// network in the way. Each Read returns `batch` requests, as a pipelining
// client would send them.
type replayConn struct {
	req    []byte
	batch  int
	left   atomic.Int64 // requests still to serve
	served atomic.Int64 // responses written
}

func (c *replayConn) Read(p []byte) (int, error) {
	n := 0
	for i := 0; i < c.batch && len(p)-n >= len(c.req); i++ {
		if c.left.Add(-1) < 0 {
			break
		}
		n += copy(p[n:], c.req)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *replayConn) Write(p []byte) (int, error) {
	c.served.Add(1)
	return len(p), nil
}
func (c *replayConn) Close() error                       { return nil }
func (c *replayConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *replayConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *replayConn) SetDeadline(t time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(t time.Time) error { return nil }

var benchHello = []byte("Hello, World!")

func helloHandler(w ResponseWriter, r *Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(benchHello)
}

// wrkRequest is what wrk sends.
const wrkRequest = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"

// chromeRequest is a typical browser request, with the headers a real one
// carries.
const chromeRequest = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\nsec-ch-ua-mobile: ?0\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n"

func benchServe(b *testing.B, req string, batch int, h Handler) {
	mux := NewServeMux()
	mux.Handle("GET /hello", h)
	s := &Server{Handler: mux}
	s.init()
	c := &replayConn{req: []byte(req), batch: batch}
	c.left.Store(int64(b.N))
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	b.ResetTimer()
	sc := newConn(s, c, context.Background())
	s.track(sc)
	sc.serve()
	b.StopTimer()
	if got := c.served.Load(); got == 0 && b.N > 0 {
		b.Fatal("no response written")
	}
}

// BenchmarkServe measures one request through parser, mux, handler and
// response writer, without the network. allocs/op must stay 0: that is
// the hot path's contract.
func BenchmarkServe(b *testing.B) {
	b.Run("wrk", func(b *testing.B) { benchServe(b, wrkRequest, 1, HandlerFunc(helloHandler)) })
	b.Run("wrk-pipelined16", func(b *testing.B) { benchServe(b, wrkRequest, 16, HandlerFunc(helloHandler)) })
	b.Run("chrome", func(b *testing.B) { benchServe(b, chromeRequest, 1, HandlerFunc(helloHandler)) })
}

// BenchmarkParse measures the request parser alone.
func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct{ name, req string }{{"wrk", wrkRequest}, {"chrome", chromeRequest}} {
		b.Run(tc.name, func(b *testing.B) {
			l := Config{}.withDefaults()
			data := []byte(tc.req)
			var rd reader
			var req Request
			var bd body
			var sc strCache
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				rd.init(nil, data, nil)
				rd.w = len(data)
				req.reset()
				if err := readRequest(&rd, &req, &bd, &l, &sc); err != nil {
					b.Fatal(err)
				}
				rd.unpin()
			}
		})
	}
}
