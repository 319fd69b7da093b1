package neterr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
)

// IsTimeout reports a passed deadline, from the host's stack
// (os.ErrDeadlineExceeded) or any other stack (gVisor's, quic-go's) that
// says so through net.Error.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// UntilDeadline says how a send that runs until its deadline ended, from
// the error of the write that stopped it: ctx's error when ctx was
// cancelled (the deadline was pulled in to stop the write), nil when the
// deadline came (the end the caller asked for), and err, wrapped with
// what was being done, when anything else failed.
func UntilDeadline(ctx context.Context, err error, doing string) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case IsTimeout(err):
		return nil
	}
	return fmt.Errorf("%s: %w", doing, err)
}
