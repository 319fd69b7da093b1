package tcp

import (
	"context"
	"fmt"
	"net"
)

// Listen opens a TCP listener on the host's own stack. Servers in this
// module take any net.Listener; this is the one they get when they run on
// the operating system's network rather than an emulated path.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen on %s: %w", addr, err)
	}
	return ln, nil
}
