package harness

import (
	"bytes"
	"context"
	"fmt"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/metrics"
	"netmatrix/harness/netpath"
	"netmatrix/http"
	"netmatrix/results"
)

// runHTTP sends Count GET requests one after another over a keep-alive
// connection (what an API client or a browser tab does) to the raw HTTP
// server on the path, each answered with a Size-byte body, and records
// how long each request took, first byte written to last byte read. A
// request that fails or comes back wrong counts as lost.
func runHTTP(ctx context.Context, p netpath.Path, cfg *Config) (results.Result, error) {
	c, err := startFlow(ctx, p, nil, flowSpec(catalog.HTTP, catalog.TCP, "", cfg))
	if err != nil {
		return results.Result{}, err
	}
	defer c.half.Stop()
	body := httpBody(cfg.Size)

	client := &http.Client{Dial: c.dial}
	defer client.CloseIdle()
	url := "http://" + c.addr() + "/"
	lat := metrics.NewHistogram()
	r := results.Result{Unit: results.UnitRequests}
	// The run goes on past a failed request; the first error is kept.
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for i := 0; i < cfg.Count && ctx.Err() == nil; i++ {
		rctx, cancel := context.WithTimeout(ctx, cfg.Stall)
		resp, err := client.Get(rctx, url)
		cancel()
		if ctx.Err() != nil {
			break // interrupted: this request does not count
		}
		r.Sent++
		switch {
		case err != nil:
			fail(fmt.Errorf("http: request %d: %w", i, err))
		case resp.Status != 200 || !bytes.Equal(resp.Body, body):
			r.Corrupt++
			fail(fmt.Errorf("http: request %d: status %d with %d bytes", i, resp.Status, len(resp.Body)))
		default:
			r.Delivered++
			lat.Record(resp.Timing.Total)
			if i == 0 {
				r.HandshakeMs = ms(resp.Timing.Connect)
			}
		}
	}
	r.Lost = r.Sent - r.Delivered
	r.LatencyMs = summary(lat)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, firstErr
}

// httpBody is every response's body: size bytes.
func httpBody(size int) []byte { return bytes.Repeat([]byte("x"), size) }

// httpServer is the server half of http: every GET is answered with
// spec.Size bytes.
func httpServer(spec *half.Spec) *http.Server {
	body := httpBody(spec.Size)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	return &http.Server{Handler: mux}
}
