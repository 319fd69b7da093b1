package harness

import (
	"context"
	"strconv"
	"testing"

	"netmatrix/harness/link"
)

// BenchmarkEmulatedTCP measures bulk TCP goodput through the emulated
// path with no impairment, at the realistic MTU and at the largest.
func BenchmarkEmulatedTCP(b *testing.B) {
	for _, mtu := range []int{1500, 65535} {
		b.Run("mtu="+itoa(mtu), func(b *testing.B) {
			spec := link.Symmetric(link.Config{MTU: mtu}, 1)
			benchTCPGoodput(b, spec)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func benchTCPGoodput(b *testing.B, spec link.Spec) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchPathTCP(b, ctx, newTestPath(b, ctx, spec))
}
