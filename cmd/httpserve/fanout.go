package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"netmatrix/http"
)

func (p *program) fanout(ctx context.Context, args []string) int {
	fs := p.newFlags("fanout")
	n := fs.Int("n", 5, "number of requests")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for both runs")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 || *n < 1 {
		fmt.Fprintln(p.stderr, "httpserve fanout: need one URL and -n >= 1")
		fs.Usage()
		return exitUsage
	}
	url := fs.Arg(0)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var cfg *tls.Config
	if *insecure {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	// One client per run, so the concurrent run does not start on the
	// sequential run's kept-alive connection.
	seqClient := &http.Client{TLSConfig: cfg}
	defer seqClient.CloseIdle()
	parClient := &http.Client{TLSConfig: cfg}
	defer parClient.CloseIdle()

	seq := sequential(ctx, seqClient, url, *n)
	par := concurrent(ctx, parClient, url, *n)
	p.printFanout("one after another", seq)
	p.printFanout("all at once", par)
	if par.Total > 0 {
		fmt.Fprintf(p.stdout, "all at once took %.2fx less time\n", float64(seq.Total)/float64(par.Total))
	}
	if seq.Failed()+par.Failed() > 0 {
		return exitError
	}
	return exitOK
}

func (p *program) printFanout(title string, r fanoutResult) {
	fmt.Fprintf(p.stdout, "%s: %d requests in %s\n", title, len(r.Each), r.Total.Round(time.Microsecond))
	for i, d := range r.Each {
		if r.Errs[i] != nil {
			fmt.Fprintf(p.stdout, "  #%d  %s  error: %v\n", i+1, d.Round(time.Microsecond), r.Errs[i])
			continue
		}
		fmt.Fprintf(p.stdout, "  #%d  %s\n", i+1, d.Round(time.Microsecond))
	}
}

// fanoutResult is the outcome of n requests to one URL.
type fanoutResult struct {
	// Each holds every request's own time (Timing.Total), in the order the
	// requests were started; a failed request has its error in Errs.
	Each []time.Duration
	Errs []error
	// Total is the wall-clock time for all of them.
	Total time.Duration
}

// Failed counts the requests that returned an error.
func (r fanoutResult) Failed() int {
	n := 0
	for _, err := range r.Errs {
		if err != nil {
			n++
		}
	}
	return n
}

// sequential sends n GETs for url one after another: the total is about
// the sum of the latencies.
func sequential(ctx context.Context, c *http.Client, url string, n int) fanoutResult {
	res := fanoutResult{Each: make([]time.Duration, n), Errs: make([]error, n)}
	start := time.Now()
	for i := range n {
		res.Each[i], res.Errs[i] = timedGet(ctx, c, url)
	}
	res.Total = time.Since(start)
	return res
}

// concurrent sends n GETs for url at once, each on its own connection:
// the total is about the slowest one.
func concurrent(ctx context.Context, c *http.Client, url string, n int) fanoutResult {
	res := fanoutResult{Each: make([]time.Duration, n), Errs: make([]error, n)}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { res.Each[i], res.Errs[i] = timedGet(ctx, c, url) })
	}
	wg.Wait()
	res.Total = time.Since(start)
	return res
}

func timedGet(ctx context.Context, c *http.Client, url string) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(ctx, url)
	if err != nil {
		return time.Since(start), err
	}
	return resp.Timing.Total, nil
}
