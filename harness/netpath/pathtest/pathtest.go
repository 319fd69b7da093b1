package pathtest

import (
	"context"
	"testing"
	"time"
)

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
