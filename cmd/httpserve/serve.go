package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"netmatrix/http"
	"netmatrix/tcp"
)

// extraRoutes lets other parts of httpserve add pages without touching
// this file; the results dashboard registers /results here, the lab
// /lab. ctx ends when the server is told to stop.
var extraRoutes []func(ctx context.Context, mux *http.ServeMux)

// shutdownGrace is how long Ctrl-C waits for requests in flight.
const shutdownGrace = 10 * time.Second

func (p *program) serve(ctx context.Context, args []string) int {
	fs := p.newFlags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a self-signed certificate made at start")
	certFile := fs.String("cert", "", "serve HTTPS with this PEM certificate (with -key)")
	keyFile := fs.String("key", "", "PEM private key for -cert")
	dump := fs.Bool("dump", false, "print every raw request to stdout")
	accessLog := fs.Bool("log", true, "write an access log line per request to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until exit (for go tool pprof)")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 || (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(p.stderr, "httpserve: -cert and -key go together, and serve takes no arguments")
		fs.Usage()
		return exitUsage
	}

	var tlsCfg *tls.Config
	var err error
	switch {
	case *certFile != "":
		tlsCfg, err = http.LoadTLS(*certFile, *keyFile)
	case *useTLS:
		tlsCfg, err = http.SelfSignedTLS("localhost", "127.0.0.1", "::1")
	}
	if err != nil {
		fmt.Fprintln(p.stderr, "httpserve:", err)
		return exitError
	}

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(p.stderr, "httpserve:", err)
			return exitError
		}
		defer stop()
	}

	ln, err := tcp.Listen(ctx, *addr)
	if err != nil {
		fmt.Fprintln(p.stderr, "httpserve:", err)
		return exitError
	}
	srv := &http.Server{
		Handler:   newSite(ctx, p.stdout, *dump),
		TLSConfig: tlsCfg,
		ErrorLog:  func(err error) { fmt.Fprintln(p.stderr, err) },
	}
	if *accessLog {
		srv.AccessLog = newAccessLog(p.stderr)
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
		if *certFile == "" {
			fmt.Fprintf(p.stderr, "self-signed certificate, SHA-256 %s\n", http.Fingerprint(tlsCfg))
		}
	}
	fmt.Fprintf(p.stderr, "listening on %s://%s (Ctrl-C to stop)\n", scheme, ln.Addr())
	if p.ready != nil {
		p.ready(ln.Addr().String())
	}
	if err := srv.ServeGracefully(ctx, ln, shutdownGrace); err != nil {
		fmt.Fprintln(p.stderr, "httpserve:", err)
		return exitError
	}
	fmt.Fprintln(p.stderr, "httpserve: stopped")
	return exitOK
}

// newAccessLog returns an access log hook writing one line per request:
//
//	127.0.0.1:51234 "GET / HTTP/1.1" 200 1187 312µs
func newAccessLog(w io.Writer) func(*http.Request, int, int64, time.Duration) {
	var mu sync.Mutex
	return func(r *http.Request, status int, n int64, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s %s %q %d %d %s\n", time.Now().Format("2006-01-02T15:04:05.000"),
			r.RemoteAddr, r.Method+" "+r.Target+" "+r.Proto, status, n, d.Round(time.Microsecond))
	}
}

// startCPUProfile profiles until the returned function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
