//go:build !linux

package netpath

import (
	"errors"
	"strings"
	"syscall"
)

// SetSocketBuffers sets nothing here: the sizes are Linux's (see the
// Linux build), so a size asked for is an error rather than a different
// buffer under the same name.
func (o Options) SetSocketBuffers(network, _ string, _ syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") || o.SendBuffer == 0 && o.ReceiveBuffer == 0 {
		return nil
	}
	return errors.New("netpath: TCP socket buffer sizes are set on Linux only")
}
