package remote

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/half"
)

// frame is a message of type t with body as it is, right or wrong.
func frame(t msgType, body string) []byte {
	b := []byte{byte(t), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)))
	return append(b, body...)
}

// withLength is a header of type t announcing n bytes.
func withLength(t msgType, n uint32) []byte {
	b := []byte{byte(t), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], n)
	return b
}

// Every request a client sends is read back by the server as it was.
func TestRequestsRoundTrip(t *testing.T) {
	for typ, v := range map[msgType]any{
		tHello:  &hello{Version: Version},
		tClock:  &clockReq{reqID: reqID{7}, T1: 123456789},
		tStart:  &startReq{reqID: reqID{1}, Spec: half.Spec{Workload: "stream", Transport: "udp", Direction: half.Down, Count: 150, Interval: 20 * time.Millisecond}},
		tReport: &reportReq{reqID: reqID{2}, Flow: 3, Until: half.Until{Sent: 150, Quiet: time.Second}},
		tStop:   &stopReq{reqID: reqID{4}, Flow: 3},
		tPing:   &ping{reqID: reqID{5}},
	} {
		b, err := encode(typ, v)
		require.NoError(t, err)
		got, gv, err := decode(bytes.NewReader(b), requests, nil)
		require.NoError(t, err, "%c", typ)
		assert.Equal(t, typ, got)
		assert.Equal(t, v, gv)
	}
}

// What a hostile or broken client can send, and what the server makes
// of it: an error, never a message, a panic or a wait for more.
func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"nothing", nil, io.EOF},
		{"half a header", []byte{'H', 0, 0}, io.ErrUnexpectedEOF},
		{"a reply's type: no type confusion", frame(tWelcome, `{"version":1}`), errUnknownType},
		{"an unknown type", frame('?', `{}`), errUnknownType},
		{"a length past the type's limit, refused before the body", withLength(tHello, 257), errTooLong},
		{"the largest length there is: no overflow", withLength(tStart, 0xFFFFFFFF), errTooLong},
		{"a body shorter than its length", append(withLength(tPing, 20), `{"id":1}`...), io.ErrUnexpectedEOF},
		{"an empty body", frame(tPing, ``), errBadBody},
		{"null", frame(tPing, `null`), errBadBody},
		{"an array", frame(tPing, `[1]`), errBadBody},
		{"a field the type lacks", frame(tPing, `{"id":1,"admin":true}`), errBadBody},
		{"a field of another type", frame(tStop, `{"id":1,"spec":{}}`), errBadBody},
		{"a nested unknown field", frame(tStart, `{"id":1,"spec":{"workload":"echo","shell":"rm -rf /"}}`), errBadBody},
		{"a wrong JSON type", frame(tClock, `{"id":"one","t1":0}`), errBadBody},
		{"a number too large", frame(tClock, `{"id":4294967296,"t1":0}`), errBadBody},
		{"data after the object", frame(tPing, `{"id":1}{"id":2}`), errBadBody},
		{"JSON cut short", frame(tPing, `{"id":`), errBadBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, v, err := decode(bytes.NewReader(tc.in), requests, nil)
			assert.Nil(t, v)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// FuzzControlMessage feeds the server's reader any bytes. It must return
// a message that encodes back to what it read, or an error; never panic,
// never read past what a frame's header announced, never allocate more
// than a type's limit.
func FuzzControlMessage(f *testing.F) {
	seed := func(t msgType, v any) []byte {
		b, err := encode(t, v)
		require.NoError(f, err)
		return b
	}
	// Each request type, well formed.
	f.Add(seed(tHello, &hello{Version: Version}))
	f.Add(seed(tStart, &startReq{reqID: reqID{1}, Spec: half.Spec{Workload: "bulk", Transport: "tcp", Duration: time.Second}}))
	f.Add(seed(tReport, &reportReq{reqID: reqID{1}, Flow: 2, Until: half.Until{Sent: 3}}))
	f.Add(seed(tClock, &clockReq{reqID: reqID{1}, T1: -1}))
	// Truncated: a header alone, a body cut short.
	f.Add([]byte{byte(tHello), 0, 0, 0})
	f.Add(seed(tStop, &stopReq{reqID: reqID{1}})[:8])
	// A length at the limit and one over it.
	f.Add(withLength(tHello, 256))
	f.Add(withLength(tStart, maxRequest+1))
	// Two messages back to back: only the first is read.
	f.Add(append(seed(tPing, &ping{reqID: reqID{1}}), seed(tPing, &ping{reqID: reqID{2}})...))
	// Type confusion: a reply's type, a body of another request's shape.
	f.Add(frame(tError, `{"id":0,"code":"busy","message":"x"}`))
	f.Add(frame(tHello, `{"id":1,"flow":2}`))
	// Not JSON, and JSON of a deep nesting.
	f.Add(frame(tStart, "\x00\xff{"))
	f.Add(frame(tStart, `{"id":1,"spec":`+string(bytes.Repeat([]byte("["), 1000))))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		typ, v, err := decode(r, requests, nil)
		if err != nil {
			return
		}
		k := requests[typ]
		read := len(in) - r.Len()
		require.LessOrEqual(t, read, headerLen+k.limit, "read past the type's limit")
		require.Equal(t, uint32(read-headerLen), binary.BigEndian.Uint32(in[1:headerLen]), "read exactly the frame")
		b, err := encode(typ, v)
		require.NoError(t, err)
		typ2, v2, err := decode(bytes.NewReader(b), requests, nil)
		require.NoError(t, err, "what was read encodes to a message that reads")
		require.Equal(t, typ, typ2)
		require.True(t, reflect.DeepEqual(v, v2), "%#v != %#v", v, v2)
	})
}

// A reply too large for its type is not sent; one within it is.
func TestWriteHoldsReplyLimits(t *testing.T) {
	var b bytes.Buffer
	ch := &channel{c: &bufConn{Buffer: &b}}
	big := &errorMsg{Message: string(bytes.Repeat([]byte("x"), maxRequest))}
	assert.True(t, errors.Is(ch.write(tError, big), errTooLong))
	assert.Zero(t, b.Len(), "nothing went out")
	require.NoError(t, ch.write(tPong, &pong{reqID: reqID{1}}))
	typ, v, err := decode(&b, replies, nil)
	require.NoError(t, err)
	assert.Equal(t, tPong, typ)
	assert.Equal(t, &pong{reqID: reqID{1}}, v)
}
