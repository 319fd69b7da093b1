package http

import "strconv"

// Status codes the package uses or that handlers commonly need
// (RFC 9110, section 15).
const (
	StatusContinue                    = 100
	StatusSwitchingProtocols          = 101
	StatusOK                          = 200
	StatusCreated                     = 201
	StatusAccepted                    = 202
	StatusNoContent                   = 204
	StatusMovedPermanently            = 301
	StatusFound                       = 302
	StatusSeeOther                    = 303
	StatusNotModified                 = 304
	StatusTemporaryRedirect           = 307
	StatusPermanentRedirect           = 308
	StatusBadRequest                  = 400
	StatusUnauthorized                = 401
	StatusForbidden                   = 403
	StatusNotFound                    = 404
	StatusMethodNotAllowed            = 405
	StatusRequestTimeout              = 408
	StatusConflict                    = 409
	StatusLengthRequired              = 411
	StatusContentTooLarge             = 413
	StatusURITooLong                  = 414
	StatusExpectationFailed           = 417
	StatusTooManyRequests             = 429
	StatusRequestHeaderFieldsTooLarge = 431
	StatusInternalServerError         = 500
	StatusNotImplemented              = 501
	StatusServiceUnavailable          = 503
	StatusHTTPVersionNotSupported     = 505
)

var statusText = map[int]string{
	100: "Continue",
	101: "Switching Protocols",
	200: "OK",
	201: "Created",
	202: "Accepted",
	204: "No Content",
	206: "Partial Content",
	301: "Moved Permanently",
	302: "Found",
	303: "See Other",
	304: "Not Modified",
	307: "Temporary Redirect",
	308: "Permanent Redirect",
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	413: "Content Too Large",
	414: "URI Too Long",
	415: "Unsupported Media Type",
	417: "Expectation Failed",
	422: "Unprocessable Content",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
	505: "HTTP Version Not Supported",
}

// StatusText is the reason phrase for code, or "" if the package does not
// know it.
func StatusText(code int) string { return statusText[code] }

// statusLines holds the whole "HTTP/1.1 200 OK\r\n" line for every known
// code, so writing a response's first line is one append.
var statusLines = func() map[int][]byte {
	m := make(map[int][]byte, len(statusText))
	for code, text := range statusText {
		m[code] = []byte("HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n")
	}
	return m
}()

// status200 skips even the map lookup for the most common line.
var status200 = statusLines[200]

func appendStatusLine(b []byte, code int) []byte {
	if code == 200 {
		return append(b, status200...)
	}
	if line, ok := statusLines[code]; ok {
		return append(b, line...)
	}
	// An unknown code still needs a reason phrase field; it may be empty
	// (RFC 9112, section 4), but the space before it may not be omitted.
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	return append(b, " \r\n"...)
}
