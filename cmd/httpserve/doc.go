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
package main
