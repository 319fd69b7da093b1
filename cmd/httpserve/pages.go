package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"sync"

	"netmatrix/http"
)

// newSite is httpserve's handler: the pages, wrapped in the -dump printer.
func newSite(ctx context.Context, stdout io.Writer, dump bool) http.Handler {
	mux := http.NewServeMux()
	mux.NotFound = http.HandlerFunc(notFound)
	mux.HandleFunc("GET /", rawRequestPage)
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("GET /hello", hello)
	for _, add := range extraRoutes {
		add(ctx, mux)
	}
	if !dump {
		return mux
	}
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Fprintf(stdout, "--- request from %s ---\n", r.RemoteAddr)
		stdout.Write(r.Raw())
		mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// rawRequestPage shows the request exactly as the browser sent it. Every
// byte of it came from the client, so all of it is HTML-escaped: a header
// value like "<script>" must show up as text, not run.
func rawRequestPage(w http.ResponseWriter, r *http.Request) {
	raw := string(r.Raw())
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html><head><meta charset="utf-8"><title>Your request, as text</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}
pre{background:#f4f4f4;padding:1em;white-space:pre-wrap;word-break:break-all}
.eol{color:#b0b0b0}</style>
</head><body>
<h1>HTTP is just text</h1>
<p>Your browser opened a TCP connection to this server and sent these `)
	b.WriteString(strconv.Itoa(len(raw)))
	b.WriteString(` bytes. <span class="eol">\r\n</span> marks each line end (CR LF); the empty line ends the request.</p>
<pre id="request">`)
	for line := range strings.SplitAfterSeq(raw, "\n") {
		text, eol := strings.TrimSuffix(line, "\n"), `\n`
		if strings.HasSuffix(text, "\r") {
			text, eol = strings.TrimSuffix(text, "\r"), `\r\n`
		}
		b.WriteString(html.EscapeString(text))
		if strings.HasSuffix(line, "\n") {
			b.WriteString(`<span class="eol">` + eol + "</span>\n")
		}
	}
	b.WriteString("</pre>\n")
	writeTryLine(&b, r)
	b.WriteString("</body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteString(b.String())
}

// writeTryLine suggests how to send this server a request by hand, in
// the scheme the browser used: nc speaks plain text only, so over TLS
// the raw request goes through openssl s_client, and curl needs -k for
// the self-signed certificate -tls makes.
func writeTryLine(b *strings.Builder, r *http.Request) {
	host := html.EscapeString(r.Host)
	raw := `printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | `
	if r.TLS != nil {
		fmt.Fprintf(b, `<p>Try <code>curl -v https://%s/echo</code> (with <code>-k</code> if the certificate is self-signed, as with <code>-tls</code>), or <code>%sopenssl s_client -quiet -connect %s</code>.</p>`+"\n", host, raw, host)
		return
	}
	fmt.Fprintf(b, `<p>Try <code>curl -v http://%s/echo</code>, or <code>%snc %s</code>.</p>`+"\n",
		host, raw, html.EscapeString(strings.Replace(r.Host, ":", " ", 1)))
}

// echo answers with what it was sent, as plain text.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOf(err))
		fmt.Fprintf(w, "reading body: %v\n", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "method: %s\ntarget: %s\nproto: %s\nheader:\n", r.Method, r.Target, r.Proto)
	r.Header.VisitAll(func(name, value []byte) {
		fmt.Fprintf(w, "  %s: %s\n", name, value)
	})
	fmt.Fprintf(w, "body: %d bytes\n", len(body))
	w.Write(body)
	if r.Trailer.Len() > 0 {
		fmt.Fprintf(w, "\ntrailer:\n")
		r.Trailer.VisitAll(func(name, value []byte) {
			fmt.Fprintf(w, "  %s: %s\n", name, value)
		})
	}
}

// helloBody is the benchmark's response; the net/http and fasthttp peers
// in bench/ send the same bytes with the same Content-Type.
var helloBody = []byte("Hello, World!")

func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(helloBody)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `<!doctype html>
<html><head><meta charset="utf-8"><title>404 Not Found</title></head><body>
<h1>404 Not Found</h1>
<p>Nothing lives at <code>%s</code>. Try <a href="/">/</a> or <a href="/echo">/echo</a>.</p>
</body></html>
`, html.EscapeString(r.Path))
}
