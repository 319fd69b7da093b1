package http

import (
	"iter"
	"strings"
)

// Header is a list of header fields in the order they were received or
// set. A request's Header points into the connection's read buffer, so it
// (and every []byte it returns) is valid only until the handler returns;
// Get and Values copy into strings that may be kept.
//
// The zero value is an empty Header ready to use.
type Header struct {
	raw    []byte  // names and values live here
	fields []field // offsets into raw, in order
}

// field is one name/value pair as offsets into Header.raw. Offsets instead
// of slices keep a field at 16 bytes and let a response header reuse raw
// for the next response without any pointer work.
type field struct {
	name, nameEnd, value, valueEnd uint32
}

func (h *Header) name(f field) []byte  { return h.raw[f.name:f.nameEnd] }
func (h *Header) value(f field) []byte { return h.raw[f.value:f.valueEnd] }

// reset empties h but keeps its storage for the next message.
func (h *Header) reset() {
	h.raw = h.raw[:0]
	h.fields = h.fields[:0]
}

// Len is the number of field lines.
func (h *Header) Len() int { return len(h.fields) }

// Peek returns the first value of the field name (case-insensitive), or
// nil. It does not allocate; the slice is valid until the handler returns.
func (h *Header) Peek(name string) []byte {
	for _, f := range h.fields {
		if equalFold(h.name(f), name) {
			return h.value(f)
		}
	}
	return nil
}

// Has reports whether a field name is present.
func (h *Header) Has(name string) bool {
	for _, f := range h.fields {
		if equalFold(h.name(f), name) {
			return true
		}
	}
	return false
}

// Get returns the first value of the field name (case-insensitive), or "".
func (h *Header) Get(name string) string { return string(h.Peek(name)) }

// Values returns every value of the field name, in order.
func (h *Header) Values(name string) []string {
	var vs []string
	for _, f := range h.fields {
		if equalFold(h.name(f), name) {
			vs = append(vs, string(h.value(f)))
		}
	}
	return vs
}

// All yields every field as received: name as sent (not canonicalized) and
// value with surrounding whitespace removed.
func (h *Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range h.fields {
			if !yield(string(h.name(f)), string(h.value(f))) {
				return
			}
		}
	}
}

// VisitAll calls fn for every field without allocating; the slices are
// valid only during the call.
func (h *Header) VisitAll(fn func(name, value []byte)) {
	for _, f := range h.fields {
		fn(h.name(f), h.value(f))
	}
}

// Add appends a field. Names and values are not checked here: a response
// header with a CR or LF in it is refused when the response is written.
func (h *Header) Add(name, value string) {
	n := uint32(len(h.raw))
	h.raw = append(h.raw, name...)
	v := uint32(len(h.raw))
	h.raw = append(h.raw, value...)
	h.fields = append(h.fields, field{n, v, v, uint32(len(h.raw))})
}

// Set replaces every field name with one field name: value.
func (h *Header) Set(name, value string) {
	h.Del(name)
	h.Add(name, value)
}

// Del removes every field name. The bytes stay in raw until the next reset;
// headers are small and short-lived, so compacting is not worth it.
func (h *Header) Del(name string) {
	fs := h.fields[:0]
	for _, f := range h.fields {
		if !equalFold(h.name(f), name) {
			fs = append(fs, f)
		}
	}
	h.fields = fs
}

// String renders the fields as field lines, for logs and tests.
func (h *Header) String() string {
	var b strings.Builder
	for _, f := range h.fields {
		b.Write(h.name(f))
		b.WriteString(": ")
		b.Write(h.value(f))
		b.WriteString("\r\n")
	}
	return b.String()
}

// equalFold compares ASCII case-insensitively; field names are tokens, so
// no Unicode folding is wanted (it would make "K" equal the Kelvin sign).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
