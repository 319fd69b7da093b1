//go:build linux

package harness

import (
	"context"
	"testing"

	"netmatrix/harness/link"
)

// BenchmarkKernelTCP measures bulk TCP goodput through the kernel path
// with no impairment: what the relay moves between the two TUN devices,
// a read and a write system call per packet, at the realistic MTU and at
// the largest.
func BenchmarkKernelTCP(b *testing.B) {
	for _, mtu := range []int{1500, 65535} {
		b.Run("mtu="+itoa(mtu), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			benchPathTCP(b, ctx, newKernelTestPath(b, ctx, link.Symmetric(link.Config{MTU: mtu}, 1)))
		})
	}
}
