//go:build !linux

package udp

import "net"

// newSysIO has no raw batch path outside Linux: the caller falls back to
// one datagram per call, which x/net's batch API also does there.
func newSysIO(*net.UDPConn, ioOptions) packetIO { return nil }

// growReadBuffer raises uc's receive buffer as far as the system allows.
func growReadBuffer(uc *net.UDPConn) { _ = uc.SetReadBuffer(sinkReadBuffer) }
