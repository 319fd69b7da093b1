package http

import (
	"sync/atomic"
	"time"
)

// dateCache holds the Date header value for the current second. Formatting
// a date costs more than the rest of a small response, and a second's
// resolution is all RFC 9110 asks for, so it is formatted at most once a
// second, by whichever request first sees the second change.
type dateCache struct {
	v atomic.Pointer[dateValue]
}

type dateValue struct {
	unix int64
	line []byte // "Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n"
}

var dates dateCache

// appendDate appends the Date field line for now.
func (d *dateCache) appendLine(b []byte, now time.Time) []byte {
	sec := now.Unix()
	v := d.v.Load()
	if v == nil || v.unix != sec {
		line := make([]byte, 0, 40)
		line = append(line, "Date: "...)
		line = now.UTC().AppendFormat(line, TimeFormat)
		line = append(line, "\r\n"...)
		v = &dateValue{unix: sec, line: line}
		d.v.Store(v)
	}
	return append(b, v.line...)
}

// TimeFormat is the IMF-fixdate format of the Date header (RFC 9110,
// section 5.6.7).
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"
