package http

import "time"

// Config holds a server's limits and timeouts. The zero value of every field
// is a safe default, so Config{} is ready to use; fill in only what you
// want to change. A negative duration turns that timeout off.
type Config struct {
	// ReadHeaderTimeout bounds the time from the first byte of a request to
	// the end of its header section. It is what defeats slowloris: a client
	// that trickles header bytes is cut off however slowly it sends.
	// If zero, it is 10 seconds.
	ReadHeaderTimeout time.Duration

	// ReadTimeout bounds the time from the first byte of a request to the
	// end of its body. If zero, it is 60 seconds.
	ReadTimeout time.Duration

	// WriteTimeout bounds each write of buffered responses to the
	// connection. If zero, it is 60 seconds.
	WriteTimeout time.Duration

	// IdleTimeout is how long a keep-alive connection may wait for the first
	// byte of its next request before the server closes it.
	// If zero, it is 60 seconds.
	IdleTimeout time.Duration

	// MaxRequestLineBytes limits the request line (method, target and
	// version); a longer one gets 414 URI Too Long.
	// If zero, it is 8 KiB.
	MaxRequestLineBytes int

	// MaxHeaderBytes limits the whole header section, request line
	// included; a larger one gets 431 Request Header Fields Too Large. The
	// same limit applies to the trailer section of a chunked body.
	// If zero, it is 16 KiB.
	MaxHeaderBytes int

	// MaxHeaderFields limits the number of field lines; more get 431.
	// If zero, it is 100.
	MaxHeaderFields int

	// MaxBodyBytes limits a request body; a larger one gets 413 Content Too
	// Large. If zero, it is 8 MiB.
	MaxBodyBytes int64

	// MaxDiscardBytes is how much of a body the handler did not read the
	// server will read and drop to keep the connection alive; past it the
	// connection is closed instead. If zero, it is 256 KiB.
	MaxDiscardBytes int64
}

// limits is a Config with every default filled in, so the hot path never
// checks for zero.
type limits struct {
	readHeader, read, write, idle time.Duration
	maxLine, maxHeader, maxFields int
	maxBody, maxDiscard           int64
}

// withDefaults fills in every zero field. It is the one place defaults live.
func (c Config) withDefaults() limits {
	l := limits{
		readHeader: durationOr(c.ReadHeaderTimeout, 10*time.Second),
		read:       durationOr(c.ReadTimeout, 60*time.Second),
		write:      durationOr(c.WriteTimeout, 60*time.Second),
		idle:       durationOr(c.IdleTimeout, 60*time.Second),
		maxLine:    intOr(c.MaxRequestLineBytes, 8<<10),
		maxHeader:  intOr(c.MaxHeaderBytes, 16<<10),
		maxFields:  intOr(c.MaxHeaderFields, 100),
		maxBody:    int64Or(c.MaxBodyBytes, 8<<20),
		maxDiscard: int64Or(c.MaxDiscardBytes, 256<<10),
	}
	// The request line is part of the header section, so it can never be
	// allowed to be longer than the section itself.
	l.maxLine = min(l.maxLine, l.maxHeader)
	return l
}

func durationOr(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0 // off
	}
	return d
}

func intOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func int64Or(n, def int64) int64 {
	if n <= 0 {
		return def
	}
	return n
}
