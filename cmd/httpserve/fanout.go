package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"netmatrix/cmd/internal/linkspec"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/http"
)

func (p *program) fanout(ctx context.Context, args []string) int {
	fs := p.newFlags("fanout")
	n := fs.Int("n", 5, "number of requests")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for both runs")
	var path linkspec.Settings
	path.Register(fs)
	fs.Lookup("profile").Usage += "; with it or any link flag (-delay 40ms, say), fanout serves httpserve's own pages at the far end of an emulated path with that link, and fetches the PATH given (default /hello) over it"
	if code, stop := parse(fs, args); stop {
		return code
	}
	overLink := path.Profile != "" || path.Impaired()
	target := fs.Arg(0)
	switch {
	case fs.NArg() > 1 || *n < 1 || (!overLink && fs.NArg() != 1):
		fmt.Fprintln(p.stderr, "httpserve fanout: need one URL (or, with a link flag, a path) and -n >= 1")
		fs.Usage()
		return exitUsage
	case overLink && target == "":
		target = "/hello"
	case overLink && !strings.HasPrefix(target, "/"):
		fmt.Fprintf(p.stderr, "httpserve fanout: with a link flag, fanout fetches from its own server at the far end of the emulated path: give a path such as /hello, not %q\n", target)
		fs.Usage()
		return exitUsage
	}
	var spec link.Spec
	if overLink {
		var err error
		if spec, err = linkSpec(&path); err != nil {
			fmt.Fprintln(p.stderr, "httpserve fanout:", err)
			fs.Usage()
			return exitUsage
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var cfg *tls.Config
	if *insecure {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if overLink {
		url, d, stop, err := p.serveOverLink(ctx, &path, spec)
		if err != nil {
			fmt.Fprintln(p.stderr, "httpserve fanout:", err)
			return exitError
		}
		defer stop()
		target, dial = url+target, d
	}
	// One client per run, so the concurrent run does not start on the
	// sequential run's kept-alive connection.
	seqClient := &http.Client{TLSConfig: cfg, Dial: dial}
	defer seqClient.CloseIdle()
	parClient := &http.Client{TLSConfig: cfg, Dial: dial}
	defer parClient.CloseIdle()
	seq := sequential(ctx, seqClient, target, *n)
	par := concurrent(ctx, parClient, target, *n)
	p.printFanout("one after another", seq)
	p.printFanout("all at once", par)
	if par.Total > 0 {
		fmt.Fprintf(p.stdout, "all at once took %.2fx less time\n", float64(seq.Total)/float64(par.Total))
	}
	if overLink {
		fmt.Fprintln(p.stdout, "(a request on a new connection waits a round trip more, for TCP's handshake: the first one after another, and every one at once)")
	}
	if seq.Failed()+par.Failed() > 0 {
		return exitError
	}
	return exitOK
}

// linkSpec is the link the flags describe, checked.
func linkSpec(s *linkspec.Settings) (link.Spec, error) {
	if err := s.Check(); err != nil {
		return link.Spec{}, err
	}
	return s.ValidSpec()
}

// serveOverLink makes an emulated path with the link settings, serves
// httpserve's own pages at its far end, and says how to reach them: the
// lesson of fanout (n slow requests at once take about one round trip,
// not n) needs a round trip long enough to see, which loopback's
// microseconds are not.
func (p *program) serveOverLink(ctx context.Context, s *linkspec.Settings, spec link.Spec) (url string, dial func(context.Context, string, string) (net.Conn, error), stop func(), err error) {
	path, err := s.Scenario(spec).NewPath(ctx, netpath.Use{})
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := path.Server().Listen(ctx, "tcp", net.JoinHostPort(path.ServerHost(), "80"))
	if err != nil {
		path.Close()
		return "", nil, nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	srv := &http.Server{Handler: newSite(sctx, io.Discard, false)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(sctx, ln)
	}()
	fmt.Fprintf(p.stdout, "over an emulated path (%s): each request waits at least a round trip of %s\n",
		spec.Describe(), (spec.Up.Delay + spec.Down.Delay).Round(time.Microsecond))
	return "http://" + ln.Addr().String(), path.Client().Dial, func() {
		cancel()
		<-served
		path.Close()
	}, nil
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
