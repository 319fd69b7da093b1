//go:build !unix

package remote

import (
	"net"
	"time"
)

func peek(c net.Conn, n int, deadline time.Time) ([]byte, net.Conn) { return peekRead(c, n, deadline) }
