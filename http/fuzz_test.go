package http

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	nethttp "net/http"
	"slices"
	"strings"
	"testing"
)

// FuzzReadRequest feeds arbitrary bytes to the request parser. It must
// never panic, anything it accepts must be well-formed, and net/http's
// ReadRequest serves as a differential oracle: whatever we accept, it must
// accept too and read the same method, target, host, fields and body. The
// other way round is not checked, because we are deliberately stricter
// (see knownStricter).
func FuzzReadRequest(f *testing.F) {
	seeds := []string{
		// The simplest valid request.
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		// Bare LF line ends, which a recipient may accept.
		"GET / HTTP/1.1\nHost: a\n\n",
		// HTTP/1.0 without Host, which 1.0 allows.
		"GET /x HTTP/1.0\r\n\r\n",
		// A body framed by Content-Length, followed by a pipelined request.
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		// A chunked body with an extension and a trailer.
		"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nT: v\r\n\r\n",
		// Both framings at once: the smuggling classic.
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		// Two different lengths.
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		// Whitespace before the colon.
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		// obs-fold continuation line.
		"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
		// A bare CR inside a value.
		"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n",
		// A chunk size that overflows int64.
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
		// Absolute-form target with its own authority.
		"GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n",
		// Asterisk-form.
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		// An unsupported major version.
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		// Two Host fields.
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		// Percent escapes, valid and not.
		"GET /%41%zz HTTP/1.1\r\nHost: a\r\n\r\n",
		// A truncated request.
		"GET / HTTP/1.1\r\nHost: a\r\n",
		// Expect: 100-continue with a body.
		"PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		// A Transfer-Encoding list with chunked not last.
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
		// Leading zeros in a Content-Length.
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0003\r\n\r\nabc",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, body, err := parseString(string(data), Config{MaxHeaderBytes: 4 << 10, MaxBodyBytes: 1 << 16})
		if err != nil {
			var re *RequestError
			var mb *MaxBytesError
			if !errors.As(err, &re) && !errors.As(err, &mb) && err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			return
		}
		checkWellFormed(t, req, body)
		if knownStricter(data) {
			return
		}
		theirs, err := nethttp.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("we accepted what net/http refuses (%v):\n%q", err, data)
		}
		theirBody, berr := io.ReadAll(theirs.Body)
		if berr != nil {
			t.Fatalf("we read a body net/http refuses (%v):\n%q", berr, data)
		}
		switch {
		case req.Method != theirs.Method:
			t.Fatalf("method %q, net/http %q", req.Method, theirs.Method)
		case req.Target != theirs.RequestURI:
			t.Fatalf("target %q, net/http %q", req.Target, theirs.RequestURI)
		case req.ProtoMinor != theirs.ProtoMinor:
			t.Fatalf("minor version %d, net/http %d", req.ProtoMinor, theirs.ProtoMinor)
		case req.Host != theirs.Host:
			t.Fatalf("host %q, net/http %q", req.Host, theirs.Host)
		case body != string(theirBody):
			t.Fatalf("body %q, net/http %q", body, theirBody)
		}
		for name, vs := range theirs.Header {
			if !slices.Equal(req.Header.Values(name), vs) {
				t.Fatalf("field %s: %q, net/http %q", name, req.Header.Values(name), vs)
			}
		}
	})
}

// checkWellFormed asserts what an accepted request must satisfy.
func checkWellFormed(t *testing.T, req *Request, body string) {
	t.Helper()
	if req.Method == "" || strings.ContainsAny(req.Method, " \r\n") {
		t.Fatalf("bad method %q", req.Method)
	}
	if req.Target == "" || strings.ContainsAny(req.Target, " \r\n\x00") {
		t.Fatalf("bad target %q", req.Target)
	}
	if req.ContentLength >= 0 && int64(len(body)) != req.ContentLength {
		t.Fatalf("body of %d bytes for Content-Length %d", len(body), req.ContentLength)
	}
	req.Header.VisitAll(func(name, value []byte) {
		if len(name) == 0 || bytes.ContainsAny(value, "\r\n\x00") {
			t.Fatalf("bad field %q: %q", name, value)
		}
	})
}

// knownStricter reports inputs where the two parsers are meant to differ
// because net/http is more lenient or reads differently, documented here so
// the oracle checks everything else.
func knownStricter(data []byte) bool {
	s := string(data)
	line, _, _ := strings.Cut(s, "\n")
	return strings.HasPrefix(s, "\n") || strings.HasPrefix(s, "\r\n") || // we skip leading empty lines (RFC 9112, 2.2); net/http does not
		strings.HasPrefix(line, "CONNECT ") || // net/http parses CONNECT targets its own way; we answer 501 anyway
		strings.Contains(line, "HTTP/1.") && !strings.Contains(line, "HTTP/1.0") && !strings.Contains(line, "HTTP/1.1") // minor versions past 1
}
