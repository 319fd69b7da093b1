package neterr

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// Accept waits for ln's next connection. A temporary failure (out of file
// descriptors, EMFILE or ENFILE; a connection aborted before it was
// accepted) is waited out and retried rather than returned: a server that
// stopped on it would drop every client for want of one descriptor, while
// a brief wait lets connections already open finish and free theirs. The
// wait doubles from 5 ms up to 1 s while the failures last, as net/http's
// does, so the loop neither spins nor lags long once descriptors are free.
// If ctx ends during a wait, Accept returns ctx's error.
func Accept(ctx context.Context, ln net.Listener) (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err == nil || !IsTemporary(err) {
			return c, err
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// IsTemporary reports an error that says "not now" rather than "never":
// out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM),
// a connection aborted before it was accepted (ECONNABORTED), or any
// error that calls itself temporary, as other stacks can.
func IsTemporary(err error) bool {
	for _, errno := range temporaryErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	// net.Error's Temporary is deprecated because most errors it marks are
	// not worth retrying for a client; for Accept they are exactly the
	// ones to wait out, so it is asked through an interface of its own.
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

var temporaryErrnos = []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED}
