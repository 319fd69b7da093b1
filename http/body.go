package http

import (
	"bytes"
	"io"
)

// maxChunkLine bounds one chunk-size line, extensions included.
const maxChunkLine = 4 << 10

// body is a request body reader. The server keeps one per connection and
// points every Request.Body at it, so reading a body allocates nothing.
type body struct {
	rd       *reader
	req      *Request
	chunked  bool
	left     int64 // bytes left in the body (fixed) or the current chunk
	total    int64 // bytes handed out so far
	limit    int64 // MaxBodyBytes
	overhead int   // chunk lines and extensions seen, bounded by maxTrailer
	maxTrail int
	state    chunkState
	err      error // sticky: io.EOF at the end, or what went wrong

	// sendContinue, when set, is called before the first read that needs
	// bytes from the client: that is when "100 Continue" must go out.
	sendContinue func()
}

type chunkState uint8

const (
	chunkSize chunkState = iota // next: chunk-size line
	chunkData                   // inside chunk-data
	chunkEnd                    // next: the CRLF after chunk-data
)

func (bd *body) init(rd *reader, req *Request, chunked bool, length, limit int64, maxTrailer int) {
	cont := bd.sendContinue
	*bd = body{rd: rd, req: req, chunked: chunked, left: length, limit: limit, maxTrail: maxTrailer, sendContinue: cont}
	if !chunked && length == 0 {
		bd.err = io.EOF
	}
	req.Body = bd
}

// done reports that the body has been read to its end.
func (bd *body) done() bool { return bd.err == io.EOF }

// Read implements io.Reader.
func (bd *body) Read(p []byte) (int, error) {
	if bd.err != nil {
		return 0, bd.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if bd.req.expect100 {
		bd.req.expect100 = false
		if bd.sendContinue != nil && bd.rd.buffered() == 0 {
			bd.sendContinue()
		}
	}
	var n int
	var err error
	if bd.chunked {
		n, err = bd.readChunked(p)
	} else {
		n, err = bd.readFixed(p)
	}
	bd.total += int64(n)
	if err != nil {
		bd.err = err
	}
	return n, err
}

func (bd *body) readFixed(p []byte) (int, error) {
	if int64(len(p)) > bd.left {
		p = p[:bd.left]
	}
	n, err := bd.rd.read(p)
	bd.left -= int64(n)
	switch {
	case bd.left == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, reqErr(StatusBadRequest, io.ErrUnexpectedEOF)
	}
	return n, err
}

// readChunked decodes chunked-body (RFC 9112, section 7.1):
//
//	chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	last-chunk = 1*("0") [ chunk-ext ] CRLF
//	then trailer-section CRLF
func (bd *body) readChunked(p []byte) (int, error) {
	for {
		switch bd.state {
		case chunkSize:
			size, err := bd.readChunkSize()
			if err != nil {
				return 0, err
			}
			if size == 0 {
				return 0, bd.readTrailer()
			}
			if bd.total+size > bd.limit {
				return 0, &MaxBytesError{Limit: bd.limit}
			}
			bd.left, bd.state = size, chunkData
		case chunkData:
			if int64(len(p)) > bd.left {
				p = p[:bd.left]
			}
			n, err := bd.rd.read(p)
			bd.left -= int64(n)
			if bd.left == 0 {
				bd.state = chunkEnd
			}
			if err == io.EOF {
				err = reqErr(StatusBadRequest, io.ErrUnexpectedEOF)
			}
			if n > 0 {
				// Return data now; a later error stays in the reader.
				return n, nil
			}
			return 0, err
		case chunkEnd:
			line, err := bd.rd.readLine(2)
			if err != nil {
				return 0, chunkErr(err)
			}
			if len(line) != 0 {
				return 0, reqErr(StatusBadRequest, ErrChunk)
			}
			bd.state = chunkSize
		}
	}
}

// readChunkSize reads chunk-size [ chunk-ext ] CRLF. Extensions are
// skipped, but their bytes count against a bound, so a client cannot make
// us read unlimited data that never reaches the handler.
func (bd *body) readChunkSize() (int64, error) {
	line, err := bd.rd.readLine(maxChunkLine)
	if err != nil {
		return 0, chunkErr(err)
	}
	if bd.overhead += len(line) + 2; bd.overhead > bd.maxTrail+int(bd.total/4) {
		return 0, reqErr(StatusBadRequest, ErrChunk)
	}
	var size int64
	i := 0
	for ; i < len(line) && isHexDigit[line[i]]; i++ {
		if i >= 15 { // 16 hex digits would overflow int64
			return 0, reqErr(StatusBadRequest, ErrChunk)
		}
		size = size<<4 | int64(hexValue[line[i]])
	}
	if i == 0 {
		return 0, reqErr(StatusBadRequest, ErrChunk)
	}
	// What follows the digits must be nothing or BWS ";" chunk-ext.
	rest := bytes.TrimLeft(line[i:], " \t")
	if len(rest) > 0 && rest[0] != ';' {
		return 0, reqErr(StatusBadRequest, ErrChunk)
	}
	for _, c := range rest {
		if !isFieldVal[c] {
			return 0, reqErr(StatusBadRequest, ErrChunk)
		}
	}
	return size, nil
}

// readTrailer reads the trailer section after the last chunk, bounded by
// the header limit, into Request.Trailer. The fields are copied: the
// handler reads them after the buffer may have moved on.
func (bd *body) readTrailer() error {
	tr := &bd.req.Trailer
	size := 0
	for {
		line, err := bd.rd.readLine(bd.maxTrail)
		if err == errLineTooLong {
			return reqErr(StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge)
		}
		if err != nil {
			return chunkErr(err)
		}
		if len(line) == 0 {
			return io.EOF
		}
		if size += len(line) + 2; size > bd.maxTrail {
			return reqErr(StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge)
		}
		if line[0] == ' ' || line[0] == '\t' {
			return reqErr(StatusBadRequest, ErrObsFold)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return reqErr(StatusBadRequest, ErrHeaderLine)
		}
		for _, c := range line[:colon] {
			if !isToken[c] {
				return reqErr(StatusBadRequest, ErrHeaderLine)
			}
		}
		value := bytes.Trim(line[colon+1:], " \t")
		for _, c := range value {
			if !isFieldVal[c] {
				return reqErr(StatusBadRequest, ErrHeaderLine)
			}
		}
		tr.Add(string(line[:colon]), string(value))
	}
}

// chunkErr maps a line error to the status for a broken chunked body.
func chunkErr(err error) error {
	switch err {
	case io.EOF:
		return reqErr(StatusBadRequest, io.ErrUnexpectedEOF)
	case errLineTooLong, errBareLF:
		return reqErr(StatusBadRequest, ErrChunk)
	}
	return err
}
