package udp

import (
	"net/netip"
	"time"
)

// limiter is a token bucket per source address. Entries of sources that
// have been quiet long enough to refill are swept now and then, so a
// flood from many spoofed addresses cannot grow it without bound for long.
type limiter struct {
	rate    float64 // tokens per second
	burst   float64
	buckets map[netip.Addr]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxSources bounds the table: past it, unknown sources are refused until
// a sweep makes room, which errs on the side of not answering.
const maxSources = 1 << 16

func newLimiter(rate float64, burst int) *limiter {
	b := float64(burst)
	if b <= 0 {
		b = max(1, rate)
	}
	return &limiter{rate: rate, burst: b, buckets: make(map[netip.Addr]*bucket)}
}

func (l *limiter) allow(src netip.Addr, now time.Time) bool {
	if now.Sub(l.swept) > time.Second {
		l.sweep(now)
	}
	b, ok := l.buckets[src]
	if !ok {
		if len(l.buckets) >= maxSources {
			return false
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[src] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets sources whose bucket would be full by now anyway.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for a, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, a)
		}
	}
}
