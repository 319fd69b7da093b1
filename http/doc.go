// Package http is an HTTP/1.1 server and client written on plain TCP (or
// TLS) connections, without net/http: the request parser and the response
// writer are this package's own, following RFC 9112 in wire order. It is
// netmatrix's demonstration that "HTTP is just text over TCP", built to be
// as strict and as fast as a production server.
//
// The server mirrors net/http's shape: a Handler answers a *Request
// through a ResponseWriter, a ServeMux routes by exact path or prefix
// (404, 405 with Allow, 501), and a Server with a Config of limits and
// timeouts, whose zero values are safe, serves any net.Listener:
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
//		w.Header().Set("Content-Type", "text/plain")
//		w.WriteString("Hello, World!")
//	})
//	ln, _ := tcp.Listen(ctx, "127.0.0.1:8080")
//	srv := &http.Server{Handler: mux}
//	go srv.Serve(ctx, ln)
//	...
//	srv.Shutdown(shutdownCtx) // lets requests in flight finish
//
// Serve takes a context first, like every blocking call in netmatrix: it
// is the base context of each Request, and cancelling it closes the server
// at once; Shutdown is the graceful way.
//
// The hot path does not allocate: each connection reuses one Request,
// response and body reader; buffers come from pools and an idle
// keep-alive connection keeps only a 1 KiB read buffer; the Date header is
// formatted once a second; pipelined responses leave in one write.
// The price is net/http's rule made strict: a handler must not keep the
// Request, its Header's byte slices or the ResponseWriter after it
// returns.
//
// The Client writes request text itself and reads the raw response, over
// any dial function, plain or TLS; Sent and Received show the exact bytes:
//
//	c := &http.Client{Received: os.Stdout}
//	resp, err := c.Get(ctx, "http://127.0.0.1:8080/hello")
//	fmt.Println(resp.Status, resp.Timing.FirstByte)
package http
