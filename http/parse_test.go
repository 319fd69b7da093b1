package http

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseString runs the parser over raw the way a connection does and
// reads the body, returning the first error.
func parseString(raw string, cfg Config) (*Request, string, error) {
	l := cfg.withDefaults()
	var rd reader
	rd.init(strings.NewReader(raw), make([]byte, smallBufSize), nil)
	req := &Request{}
	var bd body
	var sc strCache
	if err := readRequest(&rd, req, &bd, &l, &sc); err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(req.Body)
	return req, string(b), err
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, raw                               string
		method, target, path, query, host, body string
		minor                                   int
		close                                   bool
	}{
		{name: "minimal", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", target: "/", path: "/", host: "a", minor: 1},
		{name: "query", raw: "GET /p/q?x=1&y=%20 HTTP/1.1\r\nHost: a:8080\r\n\r\n", method: "GET", target: "/p/q?x=1&y=%20", path: "/p/q", query: "x=1&y=%20", host: "a:8080", minor: 1},
		{name: "bare LF line ends", raw: "GET / HTTP/1.1\nHost: a\n\n", method: "GET", target: "/", path: "/", host: "a", minor: 1},
		{name: "leading CRLF skipped", raw: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", target: "/", path: "/", host: "a", minor: 1},
		{name: "absolute form overrides Host", raw: "GET http://b.example:81/x?q HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", target: "http://b.example:81/x?q", path: "/x", query: "q", host: "b.example:81", minor: 1},
		{name: "absolute form without path", raw: "GET http://b HTTP/1.1\r\nHost: b\r\n\r\n", method: "GET", target: "http://b", path: "/", host: "b", minor: 1},
		{name: "asterisk form", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", method: "OPTIONS", target: "*", path: "*", host: "a", minor: 1},
		{name: "HTTP/1.0 without Host closes", raw: "GET / HTTP/1.0\r\n\r\n", method: "GET", target: "/", path: "/", minor: 0, close: true},
		{name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "GET", target: "/", path: "/", minor: 0},
		{name: "Connection close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", method: "GET", target: "/", path: "/", host: "a", minor: 1, close: true},
		{name: "content-length body", raw: "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", method: "POST", target: "/f", path: "/f", host: "a", body: "hello", minor: 1},
		{name: "repeated identical content-length", raw: "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", method: "POST", target: "/f", path: "/f", host: "a", body: "abc", minor: 1},
		{name: "chunked body with extension and trailer", raw: "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n", method: "POST", target: "/c", path: "/c", host: "a", body: "hello world", minor: 1},
		{name: "upper-case chunked", raw: "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", method: "POST", target: "/c", path: "/c", host: "a", minor: 1},
		{name: "IPv6 host", raw: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", method: "GET", target: "/", path: "/", host: "[::1]:8080", minor: 1},
		{name: "empty host", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", method: "GET", target: "/", path: "/", host: "", minor: 1},
		{name: "HTTP/1.2 is HTTP/1.x", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", method: "GET", target: "/", path: "/", host: "a", minor: 2},
		{name: "extension method", raw: "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", method: "PURGE", target: "/x", path: "/x", host: "a", minor: 1},
		{name: "obs-text in a value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n", method: "GET", target: "/", path: "/", host: "a", minor: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, body, err := parseString(tc.raw, Config{})
			require.NoError(t, err)
			assert.Equal(t, tc.method, req.Method)
			assert.Equal(t, tc.target, req.Target)
			assert.Equal(t, tc.path, req.Path)
			assert.Equal(t, tc.query, req.RawQuery)
			assert.Equal(t, tc.host, req.Host)
			assert.Equal(t, tc.minor, req.ProtoMinor)
			assert.Equal(t, tc.close, req.Close)
			assert.Equal(t, tc.body, body)
		})
	}
}

func TestParseHeaderAndTrailer(t *testing.T) {
	raw := "POST /c HTTP/1.1\r\nHost: a\r\nX-One:  spaced value \t\r\nx-one: second\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3\r\nabc\r\n0\r\nX-Check: ok\r\n\r\n"
	req, body, err := parseString(raw, Config{})
	require.NoError(t, err)
	assert.Equal(t, "abc", body)
	assert.Equal(t, "spaced value", req.Header.Get("X-ONE"))
	assert.Equal(t, []string{"spaced value", "second"}, req.Header.Values("x-one"))
	assert.Equal(t, "ok", req.Trailer.Get("x-check"))
	assert.Equal(t, int64(-1), req.ContentLength)
	assert.Equal(t, raw[:strings.Index(raw, "\r\n\r\n")+4], string(req.Raw()), "Raw is the header section as sent")
}

// TestMalformedRequests is the table of requests a server must refuse and
// the status each gets, sent to a live server: the status comes back and
// the connection is closed, as RFC 9112 asks after a framing error.
func TestMalformedRequests(t *testing.T) {
	long := strings.Repeat("a", 9000)
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		{"no spaces in request line", "GET\r\nHost: a\r\n\r\n", 400},
		{"two spaces between parts", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
		{"missing version", "GET /\r\nHost: a\r\n\r\n", 400},
		{"lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
		{"version with two digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
		{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
		{"method with a slash", "G/T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"control byte in target", "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"fragment in target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"bad percent escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"non-ASCII target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"repeated Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"Host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
		{"Host with bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400},
		{"empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n", 400},
		{"whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
		{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n", 400},
		{"DEL in field name", "GET / HTTP/1.1\r\nHost: a\r\nX\x7fA: b\r\n\r\n", 400},
		{"negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
		{"signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400},
		{"hex Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400},
		{"empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
		{"conflicting Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
		{"Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400},
		{"empty second Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length:\r\n\r\n", 400},
		{"conflicting Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!", 400},
		{"overflowing Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"Transfer-Encoding with Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"chunked not final", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
		{"chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"only gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
		{"unknown coding before chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400},
		{"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"chunk size not hex", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk size empty", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk size with space inside", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk size overflow", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk line bare LF", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
		{"chunk data too long", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk data without CRLF", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400},
		{"chunk extension too long", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;" + long + "\r\nhello\r\n0\r\n\r\n", 400},
		{"trailer section too large", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + long + long + "\r\n\r\n", 431},
		{"obs-fold in trailer", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n", 400},
		{"request line too long", "GET /" + long + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
		{"header section too large", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + long + long + "\r\n\r\n", 431},
		{"too many fields", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 101) + "\r\n", 431},
		{"body over the limit by Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413},
		{"chunked body over the limit", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + strings.Repeat("x", 1024) + "\r\n400\r\n" + strings.Repeat("x", 1024) + "\r\n0\r\n\r\n", 413},
		{"unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", 417},
		{"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501},
		{"unknown method", "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
	}
	mux := NewServeMux()
	mux.HandleFunc("/echo", echoHandler)
	mux.HandleFunc("GET /", func(w ResponseWriter, r *Request) { w.WriteString("root") })
	addr, _ := startServer(t, mux, Config{MaxBodyBytes: 1500})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			_, err := io.WriteString(c, tc.raw)
			require.NoError(t, err)
			br := bufio.NewReader(c)
			method, _, _ := strings.Cut(tc.raw, " ")
			resp, _ := readResp(t, br, method)
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.status != 501 || tc.name == "CONNECT" || tc.name == "unknown coding before chunked" {
				// Refused at the framing level: nothing after this request
				// can be trusted, so the server closes.
				assert.True(t, resp.Close, "response should say Connection: close")
				assert.True(t, waitClosed(t, c, 2*time.Second), "server should close the connection")
			}
		})
	}
}
