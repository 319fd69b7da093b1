package http

import (
	"context"
	"sync"
	"time"
)

// FanoutResult is the outcome of n requests to one URL.
type FanoutResult struct {
	// Each holds every request's own time (Timing.Total), in the order the
	// requests were started; a failed request has its error in Errs.
	Each []time.Duration
	Errs []error
	// Total is the wall-clock time for all of them.
	Total time.Duration
}

// Failed counts the requests that returned an error.
func (r FanoutResult) Failed() int {
	n := 0
	for _, err := range r.Errs {
		if err != nil {
			n++
		}
	}
	return n
}

// Sequential sends n GETs for url one after another: the total is about
// the sum of the latencies.
func (c *Client) Sequential(ctx context.Context, url string, n int) FanoutResult {
	res := FanoutResult{Each: make([]time.Duration, n), Errs: make([]error, n)}
	start := time.Now()
	for i := range n {
		res.Each[i], res.Errs[i] = c.timedGet(ctx, url)
	}
	res.Total = time.Since(start)
	return res
}

// Concurrent sends n GETs for url at once, each on its own connection:
// the total is about the slowest one.
func (c *Client) Concurrent(ctx context.Context, url string, n int) FanoutResult {
	res := FanoutResult{Each: make([]time.Duration, n), Errs: make([]error, n)}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { res.Each[i], res.Errs[i] = c.timedGet(ctx, url) })
	}
	wg.Wait()
	res.Total = time.Since(start)
	return res
}

func (c *Client) timedGet(ctx context.Context, url string) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(ctx, url)
	if err != nil {
		return time.Since(start), err
	}
	return resp.Timing.Total, nil
}
