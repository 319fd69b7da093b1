package http

import (
	"bytes"
	"errors"
	"io"
)

// Internal line errors, mapped to statuses by whoever reads the line.
var (
	errLineTooLong = errors.New("http: line too long")
	errBareLF      = errors.New("http: line ends in a bare LF")
)

// maxLeadingEmptyLines is how many empty lines before a request line are
// skipped; RFC 9112 (section 2.2) asks servers to skip at least one, as
// some clients send a CRLF after a POST body.
const maxLeadingEmptyLines = 4

// readRequest reads one request's header section from b into req, in wire
// order per RFC 9112, and sets up req.Body on bd. On success the header
// section stays pinned in b's buffer until the caller unpins it. An error
// is a *RequestError with the status to answer, or the read error itself
// (io.EOF when the connection ended cleanly before a request began).
func readRequest(b *reader, req *Request, bd *body, l *limits, sc *strCache) error {
	lineEnd, end, err := b.headerSection(l)
	if err != nil {
		return err
	}
	data := b.buf[b.r : b.r+end : b.r+end]
	req.raw = data
	req.Header.raw = data

	// First line: GET /index.html HTTP/1.1
	if err := parseRequestLine(trimCR(data[:lineEnd]), req, sc); err != nil {
		return err
	}

	// Field lines: "Name: value", one per line, up to the empty line.
	var f fieldState
	pos := lineEnd + 1
	for {
		nl := pos + bytes.IndexByte(data[pos:], '\n') // headerSection found every LF
		line := trimCR(data[pos:nl])
		if len(line) == 0 {
			break
		}
		if err := parseFieldLine(data, pos, len(line), req, &f, l); err != nil {
			return err
		}
		pos = nl + 1
	}

	// The request is whole; decide what it means (RFC 9112, sections 3.2,
	// 6 and 9.3). A request with a Transfer-Encoding is checked first,
	// because its framing decides where the next request starts.
	if err := f.finish(req, l, sc); err != nil {
		return err
	}
	b.r += end
	b.pinHeader(b.r)
	bd.init(b, req, f.chunked, f.length, l.maxBody, l.maxHeader)
	return nil
}

// headerSection waits until buf[r:] holds a whole header section and
// returns, relative to r, the LF that ends the request line and the end of
// the section. Limits are checked on every read so a client cannot make us
// buffer more than MaxHeaderBytes.
func (b *reader) headerSection(l *limits) (lineEnd, end int, err error) {
	lineEnd = -1
	lineStart, scanned, skipped := 0, 0, 0
	for {
		data := b.buf[b.r:b.w]
		i := bytes.IndexByte(data[scanned:], '\n')
		if i < 0 {
			scanned = len(data)
			switch {
			case lineEnd < 0 && len(data) > l.maxLine:
				return 0, 0, reqErr(StatusURITooLong, ErrRequestLineLength)
			case len(data) >= l.maxHeader:
				return 0, 0, reqErr(StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge)
			}
			if err := b.fill(); err != nil {
				if err == io.EOF && len(data) > 0 {
					err = reqErr(StatusBadRequest, io.ErrUnexpectedEOF)
				}
				return 0, 0, err
			}
			continue
		}
		nl := scanned + i
		scanned = nl + 1
		empty := nl == lineStart || nl == lineStart+1 && data[lineStart] == '\r'
		switch {
		case lineEnd < 0 && empty:
			// An empty line before the request line: drop it.
			if skipped++; skipped > maxLeadingEmptyLines {
				return 0, 0, reqErr(StatusBadRequest, ErrRequestLine)
			}
			b.r += nl + 1
			lineStart, scanned = 0, 0
		case lineEnd < 0:
			if nl > l.maxLine {
				return 0, 0, reqErr(StatusURITooLong, ErrRequestLineLength)
			}
			lineEnd, lineStart = nl, nl+1
		case empty:
			if nl+1 > l.maxHeader {
				return 0, 0, reqErr(StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge)
			}
			return lineEnd, nl + 1, nil
		default:
			lineStart = nl + 1
		}
	}
}

// trimCR drops the CR of a CRLF line end. A recipient may accept a bare LF
// as a line end (RFC 9112, section 2.2); a CR anywhere else is refused by
// the character checks that follow.
func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// parseRequestLine parses method SP request-target SP HTTP-version
// (RFC 9112, section 3). Exactly one SP separates the parts: the lenient
// whitespace parsing the RFC allows is how smuggling bugs start.
func parseRequestLine(line []byte, req *Request, sc *strCache) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return reqErr(StatusBadRequest, ErrRequestLine)
	}
	method, rest := line[:sp1], line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 {
		return reqErr(StatusBadRequest, ErrRequestLine)
	}
	target, version := rest[:sp2], rest[sp2+1:]

	// method = token
	if len(method) == 0 {
		return reqErr(StatusBadRequest, ErrMethod)
	}
	for _, c := range method {
		if !isToken[c] {
			return reqErr(StatusBadRequest, ErrMethod)
		}
	}
	if m, ok := knownMethod[string(method)]; ok {
		req.Method = m
	} else {
		req.Method = string(method)
	}

	// request-target: visible ASCII from RFC 3986, '%' followed by two hex
	// digits. A byte outside that set (CTL, SP, '#', non-ASCII) is refused
	// rather than passed on for a handler to misread.
	if len(target) == 0 {
		return reqErr(StatusBadRequest, ErrTarget)
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		if !isTargetOK[c] {
			return reqErr(StatusBadRequest, ErrTarget)
		}
		if c == '%' && (i+2 >= len(target) || !isHexDigit[target[i+1]] || !isHexDigit[target[i+2]]) {
			return reqErr(StatusBadRequest, ErrTarget)
		}
	}

	// HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. A
	// well-formed version other than 1.x gets 505, anything else 400.
	if len(version) != 8 || string(version[:5]) != "HTTP/" || version[6] != '.' ||
		!isDigit(version[5]) || !isDigit(version[7]) {
		return reqErr(StatusBadRequest, ErrVersion)
	}
	if version[5] != '1' {
		return reqErr(StatusHTTPVersionNotSupported, ErrVersionSupport)
	}
	req.ProtoMinor = int(version[7] - '0')
	req.Proto = protoNames[req.ProtoMinor]

	// Which of the four target forms (RFC 9112, section 3.2) this is.
	req.Target = sc.targetOf(target)
	t := req.Target
	switch {
	case t[0] == '/': // origin-form
		req.Path, req.RawQuery = splitQuery(t)
	case t == "*": // asterisk-form, only for a server-wide OPTIONS
		if req.Method != "OPTIONS" {
			return reqErr(StatusBadRequest, ErrTarget)
		}
		req.Path = "*"
	case req.Method == "CONNECT": // authority-form
		if !validHost(target) || bytes.IndexByte(target, ':') < 0 {
			return reqErr(StatusBadRequest, ErrTarget)
		}
	default: // absolute-form: scheme "://" authority path-abempty [ "?" query ]
		i := schemeEnd(t)
		if i < 0 {
			return reqErr(StatusBadRequest, ErrTarget)
		}
		auth := t[i:]
		j := 0
		for j < len(auth) && auth[j] != '/' && auth[j] != '?' {
			j++
		}
		if j == 0 || !validHost([]byte(auth[:j])) {
			return reqErr(StatusBadRequest, ErrTarget)
		}
		req.Host = auth[:j]
		req.Path, req.RawQuery = splitQuery(auth[j:])
		if req.Path == "" {
			req.Path = "/"
		}
	}
	return nil
}

var protoNames = [10]string{"HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.3", "HTTP/1.4", "HTTP/1.5", "HTTP/1.6", "HTTP/1.7", "HTTP/1.8", "HTTP/1.9"}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func splitQuery(t string) (path, query string) {
	for i := 0; i < len(t); i++ {
		if t[i] == '?' {
			return t[:i], t[i+1:]
		}
	}
	return t, ""
}

// schemeEnd returns the index after "scheme://", or -1.
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986).
func schemeEnd(t string) int {
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			if len(t) >= i+3 && t[i+1] == '/' && t[i+2] == '/' {
				return i + 3
			}
			return -1
		default:
			return -1
		}
	}
	return -1
}

// validHost checks uri-host [ ":" port ] (RFC 3986, section 3.2.2): an
// IP-literal in brackets or a reg-name, then an optional all-digit port.
// An empty host is allowed; RFC 9110 asks a client to send one when the
// target has no authority.
func validHost(h []byte) bool {
	host, port := h, []byte(nil)
	if len(h) > 0 && h[0] == '[' {
		end := bytes.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		for _, c := range h[1:end] {
			if !(isHexDigit[c] || c == ':' || c == '.') {
				return false
			}
		}
		host, port = nil, h[end+1:]
		if len(port) > 0 {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else if i := bytes.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
	}
	for _, c := range host {
		if !isHostOK[c] || c == '[' || c == ']' || c == ':' {
			return false
		}
	}
	for _, c := range port {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// fieldState is what the field lines said about the message itself.
type fieldState struct {
	hosts       int
	host        []byte
	length      int64 // -1 when no Content-Length
	hasLength   bool
	te          bool // a Transfer-Encoding field was present
	chunked     bool // the last coding so far is chunked
	chunkeds    int  // how many times chunked was listed
	otherCoding bool // a coding other than chunked was listed
	fields      int
}

// parseFieldLine parses data[pos:pos+n]: field-name ":" OWS field-value OWS
// (RFC 9112, section 5), and records what the known fields mean.
func parseFieldLine(data []byte, pos, n int, req *Request, f *fieldState, l *limits) error {
	line := data[pos : pos+n]
	// A line starting with whitespace continues the previous one
	// (obs-fold). RFC 9112 lets a server refuse it, and merging lines is a
	// classic smuggling vector, so we do.
	if line[0] == ' ' || line[0] == '\t' {
		return reqErr(StatusBadRequest, ErrObsFold)
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return reqErr(StatusBadRequest, ErrHeaderLine)
	}
	// field-name = token, and no whitespace before the colon: a server
	// MUST refuse "Host : x" (RFC 9112, section 5.1).
	name := line[:colon]
	for _, c := range name {
		if !isToken[c] {
			return reqErr(StatusBadRequest, ErrHeaderLine)
		}
	}
	// field-value, without the optional whitespace around it; CR, LF, NUL
	// and other controls are refused (RFC 9110, section 5.5).
	vs, ve := colon+1, len(line)
	for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
		ve--
	}
	value := line[vs:ve]
	for _, c := range value {
		if !isFieldVal[c] {
			if c == '\r' {
				return reqErr(StatusBadRequest, ErrBareCR)
			}
			return reqErr(StatusBadRequest, ErrHeaderLine)
		}
	}
	if f.fields++; f.fields > l.maxFields {
		return reqErr(StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge)
	}
	req.Header.fields = append(req.Header.fields, field{
		uint32(pos), uint32(pos + colon), uint32(pos + vs), uint32(pos + ve),
	})

	// The fields that decide framing and connection handling. Switching on
	// length first keeps the common unknown field to one comparison.
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			f.hosts++
			f.host = value
		}
	case 6:
		if equalFold(name, "expect") {
			if !equalFold(value, "100-continue") {
				return reqErr(StatusExpectationFailed, ErrExpectation)
			}
			// RFC 9110, section 10.1.1: ignore it from an HTTP/1.0 client.
			req.expect100 = req.ProtoMinor >= 1
		}
	case 10:
		if equalFold(name, "connection") {
			forEachListItem(value, func(tok []byte) {
				switch {
				case equalFold(tok, "close"):
					req.Close = true
				case equalFold(tok, "keep-alive"):
					req.keepAlive = true
				}
			})
		}
	case 14:
		if equalFold(name, "content-length") {
			return f.contentLength(value)
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			f.transferEncoding(value)
		}
	}
	return nil
}

// contentLength parses Content-Length = 1*DIGIT. A repeated field with
// the same value is accepted as one (RFC 9110, section 8.6, as net/http
// does); a list in one field ("5, 5"), an empty value, or differing values
// are unrecoverable framing errors.
func (f *fieldState) contentLength(value []byte) error {
	n, ok := parseDecimal(value)
	if !ok || f.hasLength && f.length != n {
		return reqErr(StatusBadRequest, ErrContentLength)
	}
	f.length, f.hasLength = n, true
	return nil
}

// transferEncoding records the codings in order. Only a single, final
// chunked is supported; the verdict waits for finish because a later
// Transfer-Encoding line extends the same list.
func (f *fieldState) transferEncoding(value []byte) {
	f.te = true
	forEachListItem(value, func(coding []byte) {
		// Parameters (";q=...") belong to the coding name before them.
		if i := bytes.IndexByte(coding, ';'); i >= 0 {
			coding = bytes.TrimRight(coding[:i], " \t")
		}
		if equalFold(coding, "chunked") {
			f.chunkeds++
			f.chunked = true
			return
		}
		f.chunked = false // chunked, if seen, is no longer last
		f.otherCoding = true
	})
}

// finish applies the rules that need every field: Host (RFC 9112, section
// 3.2) and the message body length (section 6.3).
func (f *fieldState) finish(req *Request, l *limits, sc *strCache) error {
	switch {
	case f.hosts > 1:
		return reqErr(StatusBadRequest, ErrHostRepeated)
	case f.hosts == 1 && !validHost(f.host):
		return reqErr(StatusBadRequest, ErrHostInvalid)
	case f.hosts == 0 && req.ProtoMinor >= 1:
		return reqErr(StatusBadRequest, ErrHostMissing)
	}
	if req.Host == "" && f.hosts == 1 {
		req.Host = sc.hostOf(f.host)
	}
	if req.ProtoMinor == 0 {
		req.Close = !req.keepAlive
	}

	if f.te {
		switch {
		case f.hasLength:
			return reqErr(StatusBadRequest, ErrLengthConflict)
		case req.ProtoMinor == 0:
			return reqErr(StatusBadRequest, ErrTEInHTTP10)
		case !f.chunked || f.chunkeds > 1:
			// No coding, not a final chunked, or chunked twice: the
			// body's end cannot be found, a 400 whatever the codings.
			return reqErr(StatusBadRequest, ErrTransferEncoding)
		case f.otherCoding:
			// gzip, chunked: framed well, but we do not decode gzip.
			return reqErr(StatusNotImplemented, ErrTECoding)
		}
		req.ContentLength = -1
		f.length = -1
		return nil
	}
	if !f.hasLength {
		f.length = 0
	}
	if f.length > l.maxBody {
		return reqErr(StatusContentTooLarge, &MaxBytesError{Limit: l.maxBody})
	}
	req.ContentLength = f.length
	return nil
}

// forEachListItem calls fn for each non-empty element of a comma-separated
// list, without the whitespace around it (RFC 9110, section 5.6.1).
func forEachListItem(v []byte, fn func([]byte)) {
	for len(v) > 0 {
		item := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		item = bytes.Trim(item, " \t")
		if len(item) > 0 {
			fn(item)
		}
	}
}

// parseDecimal parses 1*DIGIT into a non-negative int64, refusing signs,
// spaces and overflow.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	// Leading zeros are allowed and do not count towards overflow.
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
