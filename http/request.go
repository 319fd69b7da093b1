package http

import (
	"context"
	"crypto/tls"
	"io"
)

// Request is a parsed request as a handler sees it. The server reuses one
// Request per connection: a handler must not keep it, or anything it
// points to, after it returns. Strings (Method, Target, Path, ...) may be
// kept; Header's byte slices and Raw may not.
type Request struct {
	// Method is the method token ("GET"). The standard methods are
	// interned, so parsing them does not allocate.
	Method string
	// Target is the request-target exactly as sent: "/a/b?x=1" (origin
	// form), "http://h/a" (absolute form), "h:443" (CONNECT) or "*".
	Target string
	// Path is the path part of the target, without the query; "*" for the
	// asterisk form and "" for CONNECT. It is not unescaped or cleaned.
	Path string
	// RawQuery is the part of the target after '?', without it.
	RawQuery string
	// Proto is the version as sent ("HTTP/1.1") and ProtoMinor its minor
	// digit (the major is always 1: others are refused with 505).
	Proto      string
	ProtoMinor int
	// Host is the target's authority for the absolute form, else the Host
	// header (RFC 9112, section 3.2.2).
	Host string
	// Header holds the field lines in order, as sent.
	Header Header
	// ContentLength is the body's length, or -1 when it is chunked.
	ContentLength int64
	// Body reads the request body; it is never nil and returns io.EOF at
	// the end. It stops with a *MaxBytesError past the server's
	// MaxBodyBytes. Reading it sends "100 Continue" when the client asked.
	Body io.Reader
	// Trailer holds a chunked body's trailer fields once Body has
	// returned io.EOF.
	Trailer Header
	// Close reports that the connection closes after this response,
	// because the client asked (or spoke HTTP/1.0 without keep-alive).
	Close bool
	// RemoteAddr is the client's address.
	RemoteAddr string
	// TLS describes the connection's TLS state, or is nil for plain text.
	TLS *tls.ConnectionState

	// raw is the header section exactly as received, request line included.
	raw       []byte
	ctx       context.Context
	keepAlive bool // Connection: keep-alive (matters for HTTP/1.0)
	expect100 bool // Expect: 100-continue on an HTTP/1.1 request
}

// Raw is the request's header section exactly as it arrived, request line
// and final empty line included: what "HTTP is just text" means. It is
// valid until the handler returns.
func (r *Request) Raw() []byte { return r.raw }

// Context is the context of the server the request arrived on; it is
// cancelled when the server is closed.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// reset clears r for the next request and keeps its header storage.
func (r *Request) reset() {
	h, t := r.Header, r.Trailer
	h.reset()
	t.reset()
	*r = Request{Header: h, Trailer: t, RemoteAddr: r.RemoteAddr, TLS: r.TLS, ctx: r.ctx}
}

// strCache keeps the last target and host a connection saw. Keep-alive
// clients tend to repeat them, so a string is allocated only when one
// changes.
type strCache struct {
	target, host string
}

func (c *strCache) targetOf(b []byte) string {
	if string(b) != c.target {
		c.target = string(b)
	}
	return c.target
}

func (c *strCache) hostOf(b []byte) string {
	if string(b) != c.host {
		c.host = string(b)
	}
	return c.host
}
