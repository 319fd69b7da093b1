package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"netmatrix/http"
)

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func (p *program) get(ctx context.Context, args []string) int {
	fs := p.newFlags("get")
	raw := fs.Bool("raw", false, "print the exact bytes sent and received")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate (a -tls server's is self-signed)")
	method := fs.String("X", "GET", "request method")
	data := fs.String("d", "", "request body")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit for the request")
	var headers headerFlags
	fs.Var(&headers, "H", "extra header 'Name: value' (repeatable)")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(p.stderr, "httpserve get: need exactly one URL")
		fs.Usage()
		return exitUsage
	}
	req := &http.ClientRequest{Method: *method, URL: fs.Arg(0), Body: []byte(*data)}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(p.stderr, "httpserve get: -H %q is not 'Name: value'\n", h)
			return exitUsage
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}

	var sent, received bytes.Buffer
	c := &http.Client{DisableKeepAlive: true}
	if *insecure {
		c.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if *raw {
		c.Sent, c.Received = &sent, &received
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	resp, err := c.Do(ctx, req)
	if *raw {
		fmt.Fprintf(p.stdout, "--- sent %d bytes ---\n", sent.Len())
		p.stdout.Write(sent.Bytes())
		fmt.Fprintf(p.stdout, "\n--- received %d bytes ---\n", received.Len())
		p.stdout.Write(received.Bytes())
		fmt.Fprintln(p.stdout)
	}
	if err != nil {
		fmt.Fprintln(p.stderr, "httpserve get:", err)
		return exitError
	}
	if !*raw {
		p.stdout.Write(resp.Body)
	}
	t := resp.Timing
	fmt.Fprintf(p.stderr, "%s %d %s: connect %s, tls %s, first byte %s, total %s\n",
		resp.Proto, resp.Status, resp.Reason, t.Connect.Round(time.Microsecond), t.TLS.Round(time.Microsecond),
		t.FirstByte.Round(time.Microsecond), t.Total.Round(time.Microsecond))
	return exitOK
}
