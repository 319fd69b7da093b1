package link_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/link"
	"netmatrix/harness/link/linktest"
)

// The fidelity tests drive the link model alone, with no stacks: a
// packet's fate is a function of the model and the arrival times, so
// hundreds of thousands of packets take milliseconds. Bounds are five
// standard deviations of the sampling error, so a correct model fails
// about once in two million runs and a wrong one by far more.
const sigmas = 5

// runModel offers n packets of size bytes, one every gap, to a fresh model
// of c seeded with seed, and returns their fates and the counters.
func runModel(c link.Config, seed uint64, n int, gap time.Duration, size int) ([]link.Fate, link.Counters) {
	m := link.Symmetric(c, seed).Model(link.Up)
	fates := make([]link.Fate, n)
	var cnt link.Counters
	for i := range fates {
		fates[i] = m.Decide(time.Duration(i)*gap, size)
		cnt.Count(&fates[i])
	}
	return fates, cnt
}

// assertShare checks that k of n is within the binomial bound of p,
// widened by inflate for correlated samples (1 for independent ones).
func assertShare(t *testing.T, what string, k, n uint64, p, inflate float64) {
	t.Helper()
	got := float64(k) / float64(n)
	bound := sigmas * math.Sqrt(p*(1-p)/float64(n)*inflate)
	assert.InDelta(t, p, got, bound, "%s: %d of %d", what, k, n)
}

func TestLinkBernoulliLoss(t *testing.T) {
	const n = 200_000
	_, cnt := runModel(link.Config{Loss: 0.05}, 1, n, time.Microsecond, 1000)
	assertShare(t, "loss", cnt.Lost, n, 0.05, 1)
	assert.Equal(t, uint64(n)-cnt.Lost, cnt.Forwarded)
}

func TestLinkGilbertElliottLoss(t *testing.T) {
	const (
		n     = 400_000
		loss  = 0.05
		burst = 4.0
	)
	fates, cnt := runModel(link.Config{Loss: loss, BurstLen: burst}, 1, n, time.Microsecond, 1000)
	// The state is a Markov chain with lag-one correlation
	// rho = 1 - P(good->bad) - P(bad->good); the variance of its mean is
	// the binomial one times (1+rho)/(1-rho).
	toGood := 1 / burst
	rho := 1 - toGood - loss*toGood/(1-loss)
	assertShare(t, "loss", cnt.Lost, n, loss, (1+rho)/(1-rho))

	var bursts, lost int
	for i, f := range fates {
		if f.Drop != link.DropLoss {
			continue
		}
		lost++
		if i == 0 || fates[i-1].Drop != link.DropLoss {
			bursts++
		}
	}
	require.Positive(t, bursts)
	// Burst lengths are geometric with mean burst and variance
	// burst*(burst-1).
	mean := float64(lost) / float64(bursts)
	assert.InDelta(t, burst, mean, sigmas*math.Sqrt(burst*(burst-1)/float64(bursts)), "mean burst over %d bursts", bursts)
}

func TestLinkDelayDistribution(t *testing.T) {
	const (
		n      = 100_000
		delay  = 20 * time.Millisecond
		jitter = 5 * time.Millisecond
	)
	// Packets 100 ms apart: wider than any jitter draw, so the order rule
	// never moves a release and the drawn distribution shows unchanged.
	fates, cnt := runModel(link.Config{Delay: delay, Jitter: jitter}, 1, n, 100*time.Millisecond, 1000)
	var sum, sumSq float64
	for _, f := range fates {
		d := float64(f.Release - f.Arrival)
		sum += d
		sumSq += d * d
	}
	mean := sum / n
	sd := math.Sqrt(sumSq/n - mean*mean)
	assert.InDelta(t, float64(delay), mean, sigmas*float64(jitter)/math.Sqrt(n), "mean delay")
	// The standard error of a normal sample's standard deviation is
	// sd/sqrt(2n).
	assert.InDelta(t, float64(jitter), sd, sigmas*float64(jitter)/math.Sqrt(2*n), "delay spread")
	// Only draws four sigmas below the mean (3 in 50,000) are cut to no
	// delay at all.
	assert.InDelta(t, n, cnt.Delayed, 20)
	assert.Zero(t, cnt.Reordered)
}

func TestLinkJitterKeepsOrder(t *testing.T) {
	// Packets 10 us apart with 5 ms of jitter: drawn alone, most would
	// overtake; the delay line must still release them in order.
	fates, cnt := runModel(link.Config{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}, 1, 100_000, 10*time.Microsecond, 1000)
	for i := 1; i < len(fates); i++ {
		if fates[i].Release < fates[i-1].Release {
			t.Fatalf("packet %d released at %v, before packet %d at %v", i, fates[i].Release, i-1, fates[i-1].Release)
		}
	}
	assert.Zero(t, cnt.Reordered)
}

func TestLinkReorderShare(t *testing.T) {
	const (
		n = 200_000
		p = 0.01
	)
	fates, cnt := runModel(link.Config{Delay: 20 * time.Millisecond, Reorder: p}, 1, n, 10*time.Microsecond, 1000)
	assertShare(t, "reordered", cnt.Reordered, n, p, 1)
	// Count from the release times what a receiver would see: packets
	// that arrive after a later-sent one.
	var late, overtaking uint64
	var maxRelease time.Duration
	for i, f := range fates {
		if i > 0 && f.Release < maxRelease {
			overtaking++
		}
		maxRelease = max(maxRelease, f.Release)
		if f.Ahead {
			late++
		}
	}
	assert.Equal(t, cnt.Reordered, overtaking, "every packet sent ahead overtakes")
	assert.Equal(t, late, overtaking)
}

func TestLinkDuplicateShare(t *testing.T) {
	const (
		n = 200_000
		p = 0.02
	)
	_, cnt := runModel(link.Config{Duplicate: p}, 1, n, time.Microsecond, 1000)
	assertShare(t, "duplicated", cnt.Duplicated, n, p, 1)
	assert.Equal(t, n+cnt.Duplicated, cnt.Forwarded)
}

func TestLinkRateLimit(t *testing.T) {
	const (
		n         = 100_000
		bandwidth = 10_000_000
		queue     = 50
		size      = 1500
	)
	tx := link.Serialization(size, bandwidth) // 1.2 ms
	require.Equal(t, 1200*time.Microsecond, tx)
	// Offer twice the rate: half must be dropped at the tail, the rest
	// leave back to back at exactly the bandwidth, and the full queue
	// shows as queue * tx of delay (bufferbloat).
	fates, cnt := runModel(link.Config{Bandwidth: bandwidth, Queue: queue}, 1, n, tx/2, size)
	var first, last time.Duration
	var maxDelay time.Duration
	var prev time.Duration = -1
	for _, f := range fates {
		if f.Drop != link.DropNone {
			require.Equal(t, link.DropQueue, f.Drop)
			continue
		}
		if prev >= 0 {
			require.GreaterOrEqual(t, f.Release-prev, tx, "packets closer than their serialization")
		}
		if first == 0 {
			first = f.Release
		}
		last, prev = f.Release, f.Release
		maxDelay = max(maxDelay, f.Release-f.Arrival)
	}
	rate := float64(cnt.Forwarded-1) * size * 8 / (last - first).Seconds()
	assert.InEpsilon(t, bandwidth, rate, 1e-6, "rate at the bottleneck")
	assert.InDelta(t, 0.5, float64(cnt.QueueDrops)/n, 0.01, "tail drops at twice the rate")
	assert.Equal(t, queue*tx, maxDelay, "a full queue's delay")
}

func TestLinkMTU(t *testing.T) {
	m := link.Symmetric(link.Config{MTU: 1280}, 1).Model(link.Up)
	assert.Equal(t, link.DropNone, m.Decide(0, 1280).Drop)
	assert.Equal(t, link.DropTooBig, m.Decide(1, 1281).Drop)
	m = link.Symmetric(link.Config{}, 1).Model(link.Up)
	assert.Equal(t, link.DropTooBig, m.Decide(0, link.DefaultMTU+1).Drop)
}

func TestLinkSeedReplaysFate(t *testing.T) {
	c := linktest.Lossy
	c.BurstLen = 3
	c.Bandwidth, c.Queue = 100e6, 20
	const n = 100_000
	a, _ := runModel(c, 7, n, 50*time.Microsecond, 1200)
	b, _ := runModel(c, 7, n, 50*time.Microsecond, 1200)
	require.Equal(t, a, b, "same seed, same arrivals, same fates")

	other, _ := runModel(c, 8, n, 50*time.Microsecond, 1200)
	assert.NotEqual(t, a, other, "another seed gives other fates")

	// The random part of a packet's fate does not depend on timing:
	// offered four times as fast, the queue drops other packets, but the
	// loss model takes the same ones and the same ones are duplicated
	// wherever both runs deliver them.
	fast, _ := runModel(c, 7, n, 12*time.Microsecond, 1200)
	var queueDiffers bool
	for i := range a {
		assert.Equal(t, a[i].Drop == link.DropLoss, fast[i].Drop == link.DropLoss, "loss of packet %d", i)
		if a[i].Drop == link.DropNone && fast[i].Drop == link.DropNone {
			assert.Equal(t, a[i].Copies, fast[i].Copies, "copies of packet %d", i)
			assert.Equal(t, a[i].Ahead, fast[i].Ahead, "reordering of packet %d", i)
		}
		queueDiffers = queueDiffers || (a[i].Drop == link.DropQueue) != (fast[i].Drop == link.DropQueue)
	}
	assert.True(t, queueDiffers, "the faster run should have met a full queue")

	// The directions draw from separate streams.
	s := link.Symmetric(c, 7)
	assert.NotEqual(t, s.Rand(link.Up).Uint64(), s.Rand(link.Down).Uint64())
}
