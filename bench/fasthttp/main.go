// Command fasthttp is the benchmark's fasthttp peer: the same "Hello,
// World!" response as httpserve's /hello.
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "address to listen on")
	flag.Parse()
	body := []byte("Hello, World!")
	handler := func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) != "/hello" {
			ctx.NotFound()
			return
		}
		ctx.SetContentType("text/plain")
		ctx.Write(body)
	}
	srv := &fasthttp.Server{Handler: handler, NoDefaultServerHeader: true}
	log.Fatal(srv.ListenAndServe(*addr))
}
