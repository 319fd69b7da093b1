package main

import (
	"context"
	"crypto/tls"
	"fmt"
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

	seq := seqClient.Sequential(ctx, url, *n)
	par := parClient.Concurrent(ctx, url, *n)
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

func (p *program) printFanout(title string, r http.FanoutResult) {
	fmt.Fprintf(p.stdout, "%s: %d requests in %s\n", title, len(r.Each), r.Total.Round(time.Microsecond))
	for i, d := range r.Each {
		if r.Errs[i] != nil {
			fmt.Fprintf(p.stdout, "  #%d  %s  error: %v\n", i+1, d.Round(time.Microsecond), r.Errs[i])
			continue
		}
		fmt.Fprintf(p.stdout, "  #%d  %s\n", i+1, d.Round(time.Microsecond))
	}
}
