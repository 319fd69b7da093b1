//go:build linux

package loopback

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/pathtest"
)

// -sndbuf and -rcvbuf reach every TCP socket, dialled and accepted:
// within the host's limits without privilege, past them forced by root.
func TestSocketBuffers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     netpath.Options
		needRoot bool
	}{
		{"within the host's limits", netpath.Options{SendBuffer: 64 << 10, ReceiveBuffer: 32 << 10}, false},
		{"forced past them", netpath.Options{SendBuffer: 16 << 20, ReceiveBuffer: 16 << 20}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot && os.Geteuid() != 0 {
				t.Skip("forcing socket buffers past net.core.wmem_max needs root")
			}
			ctx := pathtest.Context(t, 10*time.Second)
			p, err := New(tc.opts)
			require.NoError(t, err)
			pathtest.AssertSocketBuffers(t, ctx, p, tc.opts, pathtest.KernelSocketBuffers)
		})
	}
}
