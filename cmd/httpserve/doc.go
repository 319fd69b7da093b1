// Command httpserve serves HTTP/1.1 with netmatrix's own server (package
// http, no net/http), and sends raw requests to any HTTP server.
//
// Serve (the default subcommand):
//
//	httpserve [-addr 127.0.0.1:8080] [-tls | -cert FILE -key FILE] [-dump] [-log=false]
//
// "/" shows the raw request text your browser just sent, "/echo" answers
// with the request's method, target, headers and body, "/hello" is the
// benchmark's fixed response, and other paths get a 404 page. Each
// request gets an access log line on stderr; -dump also prints every raw
// request to stdout. Ctrl-C lets requests in flight finish, then exits.
//
// Send one request and see the exact bytes on the wire (here over TLS to
// a server started with -tls, whose certificate is self-signed):
//
//	httpserve get -raw -insecure https://127.0.0.1:8443/
//
// Compare n requests one after another with n at once:
//
//	httpserve fanout -n 5 http://127.0.0.1:8080/
//
// Over loopback a round trip takes microseconds, and the lesson (five
// slow requests at once take about one round trip, not five) does not
// show; with a link flag fanout serves its own pages at the far end of
// an emulated path with that link, and fetches a path from them:
//
//	httpserve fanout -n 5 -delay 40ms /hello
//	httpserve fanout -profile 3g
//
// "/lab" runs transports and workloads over the emulated path from a
// page, and "/results" lists the saved runs (see packages lab and web).
package main
