package http_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"netmatrix/http"
)

func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteString("Hello, " + r.RawQuery)
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: mux}
	go srv.Serve(context.Background(), ln)

	c := &http.Client{}
	resp, _ := c.Get(context.Background(), "http://"+ln.Addr().String()+"/hello?world")
	fmt.Println(resp.Status, string(resp.Body))
	c.CloseIdle()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	// Output: 200 Hello, world
}
