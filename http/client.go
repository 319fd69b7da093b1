package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"netmatrix/internal/bufs"
)

// Client errors.
var (
	ErrStatusLine  = errors.New("http: malformed status line")
	ErrScheme      = errors.New("http: URL scheme must be http or https")
	ErrResponse    = errors.New("http: malformed response")
	ErrTooManyInfo = errors.New("http: too many 1xx responses")
)

// Client sends requests whose text it writes itself and reads the raw
// response: status line, header, and a Content-Length, chunked or
// close-delimited body. It speaks plain HTTP and TLS over any dial
// function, so it runs over loopback and the emulated path alike, and it
// keeps connections alive for the next request to the same host.
//
// The zero value is ready to use. A Client is safe for concurrent use.
type Client struct {
	// Dial opens connections; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is used for https URLs; nil trusts the system roots. Its
	// ServerName, if empty, is taken from the URL.
	TLSConfig *tls.Config
	// Sent and Received, when set, get a copy of every byte written to and
	// read from the connection (after TLS decryption): the request and
	// response exactly as they crossed the wire.
	Sent, Received io.Writer
	// MaxResponseBytes bounds a response body; zero means 64 MiB.
	MaxResponseBytes int64
	// DisableKeepAlive closes each connection after one response.
	DisableKeepAlive bool
	// UserAgent is sent as User-Agent; empty sends "netmatrix".
	UserAgent string

	mu   sync.Mutex
	idle map[string][]*clientConn
}

// ClientRequest is a request to send. Header fields are written after
// Host and User-Agent, in order; Content-Length is set from Body.
type ClientRequest struct {
	Method string
	URL    string
	Header Header
	Body   []byte
}

// Response is a response as read off the wire.
type Response struct {
	Proto   string // "HTTP/1.1"
	Status  int
	Reason  string
	Header  Header
	Body    []byte
	Trailer Header
	// Raw is the status line and header section exactly as received.
	Raw    []byte
	Timing Timing
	// Reused reports that the request went over a kept-alive connection.
	Reused bool
}

// Timing splits a request's time. Connect and TLS are zero on a reused
// connection.
type Timing struct {
	Connect   time.Duration // TCP connect (the dial function)
	TLS       time.Duration // TLS handshake
	FirstByte time.Duration // request written to first response byte
	Total     time.Duration // Do called to body read
}

// Get sends a GET for url.
func (c *Client) Get(ctx context.Context, url string) (*Response, error) {
	return c.Do(ctx, &ClientRequest{Method: "GET", URL: url})
}

// Do sends req and reads its response. The ctx bounds the whole exchange.
// A kept-alive connection the server closed meanwhile is retried once on a
// new connection, for idempotent methods.
func (c *Client) Do(ctx context.Context, req *ClientRequest) (*Response, error) {
	start := time.Now()
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("http: parse URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q", ErrScheme, req.URL)
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	for attempt := 0; ; attempt++ {
		cc, err := c.conn(ctx, u)
		if err != nil {
			return nil, err
		}
		resp, err := cc.roundTrip(ctx, c, u, method, req)
		if err != nil {
			cc.nc.Close()
			if cc.reused && !cc.gotBytes && attempt == 0 && idempotent(method) {
				continue
			}
			return nil, err
		}
		resp.Timing.Connect, resp.Timing.TLS = cc.connect, cc.tls
		resp.Reused = cc.reused
		resp.Timing.Total = time.Since(start)
		if cc.keep && !c.DisableKeepAlive {
			c.putIdle(cc)
		} else {
			cc.nc.Close()
		}
		return resp, nil
	}
}

func idempotent(m string) bool {
	switch m {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// CloseIdle closes the kept-alive connections.
func (c *Client) CloseIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, conns := range c.idle {
		for _, cc := range conns {
			cc.nc.Close()
		}
		delete(c.idle, k)
	}
}

// maxIdlePerHost bounds the kept-alive connections to one host.
const maxIdlePerHost = 64

func (c *Client) putIdle(cc *clientConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = map[string][]*clientConn{}
	}
	if len(c.idle[cc.key]) >= maxIdlePerHost {
		cc.nc.Close()
		return
	}
	c.idle[cc.key] = append(c.idle[cc.key], cc)
}

// conn takes a kept-alive connection to u's host or dials a new one.
func (c *Client) conn(ctx context.Context, u *url.URL) (*clientConn, error) {
	addr := hostPort(u)
	key := u.Scheme + "://" + addr
	c.mu.Lock()
	if conns := c.idle[key]; len(conns) > 0 {
		cc := conns[len(conns)-1]
		c.idle[key] = conns[:len(conns)-1]
		c.mu.Unlock()
		cc.reused, cc.connect, cc.tls = true, 0, 0
		return cc, nil
	}
	c.mu.Unlock()

	dial := c.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	t0 := time.Now()
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: dial %s: %w", addr, err)
	}
	cc := &clientConn{key: key, connect: time.Since(t0)}
	if u.Scheme == "https" {
		cfg := c.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"http/1.1"}
		}
		t1 := time.Now()
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("http: TLS handshake with %s: %w", addr, err)
		}
		cc.tls = time.Since(t1)
		nc = tc
	}
	cc.nc = nc
	return cc, nil
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// clientConn is one connection of a Client.
type clientConn struct {
	key       string
	nc        net.Conn
	rd        reader
	bufp      *[]byte
	reused    bool
	keep      bool
	gotBytes  bool
	connect   time.Duration
	tls       time.Duration
	firstByte time.Time
	recv      io.Writer
}

// Read is the reader's source: it notes the first response byte's time
// and copies what it reads to Client.Received.
func (cc *clientConn) Read(p []byte) (int, error) {
	n, err := cc.nc.Read(p)
	if n > 0 {
		if !cc.gotBytes {
			cc.gotBytes = true
			cc.firstByte = time.Now()
		}
		if cc.recv != nil {
			cc.recv.Write(p[:n])
		}
	}
	return n, err
}

func (cc *clientConn) roundTrip(ctx context.Context, c *Client, u *url.URL, method string, req *ClientRequest) (*Response, error) {
	cc.gotBytes, cc.keep = false, false
	cc.recv = c.Received
	if cc.bufp == nil {
		cc.bufp = bufs.Get(4 << 10)
		cc.rd.init(cc, *cc.bufp, nil)
	}
	if dl, ok := ctx.Deadline(); ok {
		cc.nc.SetDeadline(dl)
	} else {
		cc.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { cc.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	// The request, written as text.
	var b bytes.Buffer
	target := u.RequestURI()
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, u.Host)
	ua := c.UserAgent
	if ua == "" {
		ua = "netmatrix"
	}
	if !req.Header.Has("User-Agent") {
		fmt.Fprintf(&b, "User-Agent: %s\r\n", ua)
	}
	req.Header.VisitAll(func(name, value []byte) {
		if equalFold(name, "Host") || equalFold(name, "Content-Length") {
			return
		}
		b.Write(name)
		b.WriteString(": ")
		b.Write(value)
		b.WriteString("\r\n")
	})
	if len(req.Body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(req.Body))
	}
	if c.DisableKeepAlive {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.Write(req.Body)
	if c.Sent != nil {
		c.Sent.Write(b.Bytes())
	}
	if _, err := cc.nc.Write(b.Bytes()); err != nil {
		return nil, fmt.Errorf("http: write request: %w", err)
	}
	sent := time.Now()

	resp, err := cc.readResponse(c, method)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("http: %w", ctx.Err())
		}
		return nil, err
	}
	resp.Timing.FirstByte = cc.firstByte.Sub(sent)
	return resp, nil
}

// clientLimits bound what a response may make the client buffer.
var clientLimits = limits{maxLine: 8 << 10, maxHeader: 64 << 10, maxFields: 200}

// readResponse reads one response in wire order (RFC 9112, sections 4
// and 6), skipping 1xx interim responses.
func (cc *clientConn) readResponse(c *Client, method string) (*Response, error) {
	for range 8 {
		resp := &Response{}
		lineEnd, end, err := cc.rd.headerSection(&clientLimits)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("http: read response header: %w", err)
		}
		data := cc.rd.buf[cc.rd.r : cc.rd.r+end]
		resp.Raw = bytes.Clone(data)
		cc.rd.r += end

		// Status line: HTTP/1.1 200 OK
		if err := parseStatusLine(trimCR(resp.Raw[:lineEnd]), resp); err != nil {
			return nil, err
		}
		// Field lines.
		resp.Header.raw = resp.Raw
		pos := lineEnd + 1
		for {
			nl := pos + bytes.IndexByte(resp.Raw[pos:], '\n')
			line := trimCR(resp.Raw[pos:nl])
			if len(line) == 0 {
				break
			}
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || !validFieldName(line[:colon]) {
				return nil, fmt.Errorf("%w: field line %q", ErrResponse, line)
			}
			vs, ve := colon+1, len(line)
			for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
				vs++
			}
			for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
				ve--
			}
			resp.Header.fields = append(resp.Header.fields, field{uint32(pos), uint32(pos + colon), uint32(pos + vs), uint32(pos + ve)})
			pos = nl + 1
		}
		if resp.Status >= 100 && resp.Status < 200 {
			continue
		}
		return resp, cc.readBody(c, method, resp)
	}
	return nil, ErrTooManyInfo
}

func parseStatusLine(line []byte, resp *Response) error {
	// HTTP-version SP status-code SP [ reason-phrase ]
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || !isDigit(line[7]) || line[8] != ' ' {
		return fmt.Errorf("%w: %q", ErrStatusLine, line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 || (len(line) > 12 && line[12] != ' ') {
		return fmt.Errorf("%w: %q", ErrStatusLine, line)
	}
	resp.Proto = string(line[:8])
	resp.Status = code
	if len(line) > 13 {
		resp.Reason = string(line[13:])
	}
	return nil
}

// readBody reads the body by the rules of RFC 9112, section 6.3, and
// decides whether the connection can carry another request.
func (cc *clientConn) readBody(c *Client, method string, resp *Response) error {
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	http10 := resp.Proto == "HTTP/1.0"
	closeConn := false
	for _, v := range resp.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(tok)) {
			case "close":
				closeConn = true
			case "keep-alive":
				http10 = false
			}
		}
	}
	cc.keep = !closeConn && !http10

	if method == "HEAD" || resp.Status == StatusNoContent || resp.Status == StatusNotModified {
		return nil
	}
	var r io.Reader
	te := resp.Header.Values("Transfer-Encoding")
	cl := resp.Header.Values("Content-Length")
	var dummy Request
	var bd body
	switch {
	case len(te) > 0:
		codings := strings.Split(strings.Join(te, ","), ",")
		if !strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked") {
			// Not chunked: the body runs until the server closes.
			cc.keep = false
			r = io.LimitReader(&cc.rd, limit+1)
			break
		}
		bd.init(&cc.rd, &dummy, true, -1, limit, clientLimits.maxHeader)
		r = &bd
	case len(cl) > 0:
		n, ok := parseDecimal([]byte(strings.TrimSpace(cl[0])))
		if !ok {
			return fmt.Errorf("%w: Content-Length %q", ErrResponse, cl[0])
		}
		if n > limit {
			return &MaxBytesError{Limit: limit}
		}
		bd.init(&cc.rd, &dummy, false, n, limit, clientLimits.maxHeader)
		r = &bd
	default:
		cc.keep = false
		r = io.LimitReader(&cc.rd, limit+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("http: read response body: %w", err)
	}
	if int64(len(body)) > limit {
		return &MaxBytesError{Limit: limit}
	}
	resp.Body = body
	resp.Trailer = dummy.Trailer
	if cc.rd.buffered() > 0 {
		// Bytes after the response that nobody asked for: the framing
		// is off, so do not trust this connection again.
		cc.keep = false
	}
	return nil
}

// Read lets a reader be an io.Reader for close-delimited bodies.
func (b *reader) Read(p []byte) (int, error) { return b.read(p) }
