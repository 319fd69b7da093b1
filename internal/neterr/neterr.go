package neterr

import (
	"errors"
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
