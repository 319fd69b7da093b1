//go:build !linux

package tcplimit

import "net"

// A SocketWatch looks at a kernel TCP socket's sender; here there is
// none to look at.
type SocketWatch struct{}

// WatchSocket reports that it cannot watch c: TCP_INFO's fields are
// Linux's.
func WatchSocket(net.Conn) (*SocketWatch, bool) { return nil, false }

// Stop returns no times.
func (*SocketWatch) Stop() Times { return Times{} }
