//go:build linux

package harness

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"netmatrix/harness/link"
)

// TestKernelAgreesWithEmulated runs the same link with the same seed on
// both paths. The link model is shared, so UDP, whose datagrams are the
// only packets either stack sends, meets exactly the same fates: the same
// datagrams lost, duplicated and reordered. TCP's packets depend on each
// stack's own choices (window, acknowledgements, retransmissions), so its
// goodput is held to the same order of magnitude only, both as Reno.
func TestKernelAgreesWithEmulated(t *testing.T) {
	requireKernel(t)
	const (
		loss  = 0.02
		delay = 5 * time.Millisecond
		n     = 5_000
		bulk  = 3 << 20
	)
	spec := link.Symmetric(link.Config{Loss: loss, Delay: delay}, 7)
	ctx := testContext(t, 90*time.Second)

	emu := udpTally(t, ctx, newTestPath(t, ctx, spec), n)
	kern := udpTally(t, ctx, newKernelTestPath(t, ctx, spec), n)
	t.Logf("UDP, %d datagrams: emulated lost %d, kernel lost %d", n, emu.stats.Up.Lost, kern.stats.Up.Lost)
	assert.Equal(t, emu.stats.Up.Lost, kern.stats.Up.Lost, "the same count lost")
	assert.Equal(t, emu.count, kern.count, "the very same datagrams lost")

	et := tcpTransfer(t, ctx, newTestPath(t, ctx, spec), bulk, 1)
	kt := tcpTransfer(t, ctx, newKernelTestPath(t, ctx, spec), bulk, 1)
	for _, tr := range []transfer{et, kt} {
		assert.NoError(t, tr.err)
		assert.NoError(t, tr.serverErr)
		assert.Equal(t, tr.sent, tr.got)
	}
	mbps := func(tr transfer) float64 { return float64(tr.gotN) * 8 / tr.elapsed.Seconds() / 1e6 }
	mathis := float64(1500-40) * 8 / (2 * delay).Seconds() * math.Sqrt(1.5/loss) / 1e6
	t.Logf("TCP Reno, %d MiB: emulated %.1f Mbit/s, kernel %.1f Mbit/s; Mathis et al. predict %.1f", bulk>>20, mbps(et), mbps(kt), mathis)
	ratio := mbps(kt) / mbps(et)
	assert.True(t, ratio > 0.25 && ratio < 4, "goodputs of the same order: kernel/emulated = %.2f", ratio)
}
