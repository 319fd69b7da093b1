package remote

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"netmatrix/harness/half"
)

// The control channel's messages. A frame is a type byte, the body's
// length as 4 bytes big-endian, and the body: one JSON object, of the one
// struct its type names. Each end reads only the types the other end
// sends, each with a length limit checked before a byte of the body is
// read, so a hostile length costs nothing, no message is read as another
// type's struct, and an unknown field is refused rather than ignored.
//
// Every request but ping carries an ID its reply repeats, so several can
// be in flight; an error reply names the request it answers (ID 0: the
// session).
type msgType byte

// Client to server.
const (
	tHello  msgType = 'H' // hello: the first message, the protocol version
	tClock  msgType = 'C' // clockReq: an NTP-style exchange's first stamp
	tStart  msgType = 'S' // startReq: start a server half
	tReport msgType = 'R' // reportReq: what a server half observed
	tStop   msgType = 'X' // stopReq: stop a server half
	tPing   msgType = 'P' // ping: keep an idle session open
)

// Server to client.
const (
	tWelcome  msgType = 'W' // welcome: the session is this client's
	tTime     msgType = 'c' // clockReply
	tStarted  msgType = 's' // started
	tReported msgType = 'r' // reported
	tStopped  msgType = 'x' // stopped
	tPong     msgType = 'p' // pong
	tError    msgType = 'E' // errorMsg: a request refused, or the session (busy)
)

// Version is the control protocol's; a server refuses any other. Each
// side decodes strictly, so a field added to a message is a new version:
// 2 added the sending half's sender clocks to a report (half.Report's
// Limits), 3 the cut of a run cut short (half.Until's Cut).
const Version = 3

// reqID is the number a request carries and its reply repeats.
// Embedded, its field is the message's own in JSON.
type reqID struct {
	ID uint32 `json:"id"`
}

func (r reqID) msgID() uint32 { return r.ID }

// idOf is the ID of a message of any type; 0 for one without.
func idOf(v any) uint32 {
	if m, ok := v.(interface{ msgID() uint32 }); ok {
		return m.msgID()
	}
	return 0
}

type hello struct {
	Version int `json:"version"`
}

type welcome struct {
	Version int `json:"version"`
	// Token binds the session's data flows to it (see gate.go).
	Token []byte `json:"token"`
	// Fingerprint pins the certificate of the server's QUIC halves.
	Fingerprint string `json:"fingerprint"`
	Limits      Limits `json:"limits"`
}

type clockReq struct {
	reqID
	T1 int64 `json:"t1"` // client's send time
}

type clockReply struct {
	reqID
	T1 int64 `json:"t1"`
	T2 int64 `json:"t2"` // server's receive time
	T3 int64 `json:"t3"` // server's send time
}

type startReq struct {
	reqID
	Spec half.Spec `json:"spec"`
}

type started struct {
	reqID
	Flow uint32 `json:"flow"`
	Port int    `json:"port"`
}

type reportReq struct {
	reqID
	Flow  uint32     `json:"flow"`
	Until half.Until `json:"until"`
}

type reported struct {
	reqID
	Report half.Report `json:"report"`
}

type stopReq struct {
	reqID
	Flow uint32 `json:"flow"`
}

type stopped struct {
	reqID
}

type ping struct {
	reqID
}

type pong struct {
	reqID
}

type errorMsg struct {
	reqID
	Code    string `json:"code"` // codeBusy, codeRefused, codeProtocol
	Message string `json:"message"`
}

// Error codes.
const (
	codeBusy     = "busy"     // another client's session is running
	codeRefused  = "refused"  // a request the server will not do (over a limit, say)
	codeProtocol = "protocol" // a message the server could not take
)

// kind is what a message type is read as: its struct and its limit.
type kind struct {
	limit int // body bytes, at most
	new   func() any
}

// Requests are small; only a report can be large (a stream's arrivals,
// 100,000 messages of them at most: see Limits.MaxCount), and only the
// client, which asked for it of a server that holds the key, reads it.
const (
	maxRequest = 4 << 10
	maxReport  = 32 << 20
)

// requests are what a server reads; replies what a client reads.
var (
	requests = map[msgType]kind{
		tHello:  {256, func() any { return new(hello) }},
		tClock:  {256, func() any { return new(clockReq) }},
		tStart:  {maxRequest, func() any { return new(startReq) }},
		tReport: {512, func() any { return new(reportReq) }},
		tStop:   {256, func() any { return new(stopReq) }},
		tPing:   {256, func() any { return new(ping) }},
	}
	replies = map[msgType]kind{
		tWelcome:  {maxRequest, func() any { return new(welcome) }},
		tTime:     {256, func() any { return new(clockReply) }},
		tStarted:  {256, func() any { return new(started) }},
		tReported: {maxReport, func() any { return new(reported) }},
		tStopped:  {256, func() any { return new(stopped) }},
		tPong:     {256, func() any { return new(pong) }},
		tError:    {maxRequest, func() any { return new(errorMsg) }},
	}
)

// headerLen is a frame's type byte and length.
const headerLen = 5

// Errors of a frame that cannot be read.
var (
	errUnknownType = errors.New("remote: unknown message type")
	errTooLong     = errors.New("remote: message longer than its type allows")
	errBadBody     = errors.New("remote: message body is not its type's JSON object")
)

// encode frames v as a message of type t.
func encode(t msgType, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("remote: encode %c: %w", t, err)
	}
	out := make([]byte, headerLen, headerLen+len(body))
	out[0] = byte(t)
	binary.BigEndian.PutUint32(out[1:], uint32(len(body)))
	return append(out, body...), nil
}

// decode reads one message of the kinds given from r: the header, then
// (after calling gotHeader, which may set a deadline for the rest) the
// body. An end of input before a message is io.EOF; within one it is
// io.ErrUnexpectedEOF.
func decode(r io.Reader, kinds map[msgType]kind, gotHeader func()) (msgType, any, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	t := msgType(h[0])
	k, ok := kinds[t]
	if !ok {
		return 0, nil, fmt.Errorf("%w: %#02x", errUnknownType, h[0])
	}
	// Compared as uint32: no conversion to int can wrap, on any platform.
	n := binary.BigEndian.Uint32(h[1:])
	if n > uint32(k.limit) {
		return 0, nil, fmt.Errorf("%w: %c of %d bytes, at most %d", errTooLong, t, n, k.limit)
	}
	if gotHeader != nil {
		gotHeader()
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	v, err := unmarshal(body, k)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %c: %w", errBadBody, t, err)
	}
	return t, v, nil
}

// unmarshal decodes body strictly as k's struct: one JSON object, no
// field the struct lacks, nothing after it.
func unmarshal(body []byte, k kind) (any, error) {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not an object")
	}
	v := k.new()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return v, nil
}

// Limits are what a server allows a session: every test and flow is
// held to them. The zero value takes DefaultLimits' figures.
type Limits struct {
	// MaxDuration is the longest a flow may run: a bulk flow's Duration,
	// a stream's Count×Interval, and how long the server keeps any flow
	// before it stops it.
	MaxDuration time.Duration `json:"max_duration_ns"`
	// MaxBytes is the most a server half sends in one flow, and the
	// largest fixed-size transfer a client may ask for.
	MaxBytes int64 `json:"max_bytes"`
	// MaxCount is the most messages of a stream or echo run.
	MaxCount int `json:"max_count"`
	// MaxFlows is how many server halves a session may hold at once.
	MaxFlows int `json:"max_flows"`
}

// DefaultLimits: a minute, 4 GiB, 100,000 messages, 16 flows.
var DefaultLimits = Limits{MaxDuration: time.Minute, MaxBytes: 4 << 30, MaxCount: 100_000, MaxFlows: 16}

// withDefaults fills in l's zero fields.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxDuration <= 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxCount <= 0 {
		l.MaxCount = d.MaxCount
	}
	if l.MaxFlows <= 0 {
		l.MaxFlows = d.MaxFlows
	}
	return l
}
