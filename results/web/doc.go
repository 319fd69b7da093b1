// Package web is the results dashboard: it serves the runs that
// "compare -save" wrote, over netmatrix's own HTTP server (package http),
// as HTML tables and SVG plots. It reads the folder at every request, so
// a run saved a moment ago shows without a restart, and a run it cannot
// read (malformed JSON, a newer schema) is listed as unreadable with the
// reason instead of failing the page.
//
//	mux := http.NewServeMux()
//	web.New("results").Register(mux) // GET /results, /results/<run>/...
package web
