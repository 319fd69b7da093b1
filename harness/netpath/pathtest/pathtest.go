package pathtest

import (
	"context"
	"testing"
	"time"

	"netmatrix/harness/link"
)

// Lossy is the impairment of the end-to-end tests: every kind of fate at
// once, so a seed test covers every random draw.
var Lossy = link.Config{
	Loss:      0.05,
	Delay:     time.Millisecond,
	Jitter:    200 * time.Microsecond,
	Reorder:   0.02,
	Duplicate: 0.01,
}

// sigmas is how many standard deviations of the sampling error a share
// may stray from the model's: a correct path fails about once in two
// million runs, a wrong one by far more.
const sigmas = 5

// Context is a context that ends after d or with the test.
func Context(tb testing.TB, d time.Duration) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}
