package http

import (
	"errors"
	"strconv"
)

// Sentinel errors of the request parser. Each reaches the caller wrapped in
// a *RequestError that carries the status the server answers with; test
// with errors.Is.
var (
	ErrRequestLine       = errors.New("http: malformed request line")
	ErrMethod            = errors.New("http: invalid method")
	ErrTarget            = errors.New("http: invalid request target")
	ErrVersion           = errors.New("http: malformed HTTP version")
	ErrVersionSupport    = errors.New("http: HTTP version not supported")
	ErrRequestLineLength = errors.New("http: request line too long")
	ErrHeaderTooLarge    = errors.New("http: header section too large")
	ErrHeaderLine        = errors.New("http: malformed header field line")
	ErrObsFold           = errors.New("http: obsolete line folding")
	ErrBareCR            = errors.New("http: bare CR in message")
	ErrHostMissing       = errors.New("http: missing Host header")
	ErrHostRepeated      = errors.New("http: repeated Host header")
	ErrHostInvalid       = errors.New("http: invalid Host header")
	ErrContentLength     = errors.New("http: invalid Content-Length")
	ErrLengthConflict    = errors.New("http: Transfer-Encoding with Content-Length")
	ErrTransferEncoding  = errors.New("http: chunked is not the final transfer coding")
	ErrTECoding          = errors.New("http: unsupported transfer coding")
	ErrTEInHTTP10        = errors.New("http: Transfer-Encoding in an HTTP/1.0 request")
	ErrExpectation       = errors.New("http: unsupported expectation")
	ErrChunk             = errors.New("http: malformed chunked encoding")
	ErrMethodSupport     = errors.New("http: method not implemented")
	ErrBodyAfterHandler  = errors.New("http: body read after the handler returned")
)

// RequestError is a request the server refuses, with the status it answers
// and the reason, one of the sentinels above (or io.ErrUnexpectedEOF when
// the client stopped mid-message).
type RequestError struct {
	Status int
	Err    error
}

func (e *RequestError) Error() string {
	return e.Err.Error() + " (" + strconv.Itoa(e.Status) + ")"
}

func (e *RequestError) Unwrap() error { return e.Err }

// reqErr builds the error the parser returns. Errors are made only on the
// failure path, so the allocation does not touch the hot path.
func reqErr(status int, err error) error { return &RequestError{Status: status, Err: err} }

// MaxBytesError is returned by a request body's Read when the body is
// larger than the server's MaxBodyBytes; the server answers 413.
type MaxBytesError struct {
	Limit int64
}

func (e *MaxBytesError) Error() string {
	return "http: request body larger than " + strconv.FormatInt(e.Limit, 10) + " bytes"
}

// StatusOf is the status a server answers for err: the RequestError's, 413
// for a MaxBytesError, 400 for anything else.
func StatusOf(err error) int {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Status
	}
	var mb *MaxBytesError
	if errors.As(err, &mb) {
		return StatusContentTooLarge
	}
	return StatusBadRequest
}
