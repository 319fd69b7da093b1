// Package web is the results dashboard: it serves the runs that
// "compare -save" (or httpserve's lab) wrote, over netmatrix's own HTTP
// server (package http), as HTML tables and SVG plots. /results lists
// the runs (date, run, path, transports, workloads); each opens on a page
// of its own, and /results?a=RUN&b=RUN lays two side by side. It reads
// the folder at every request, so a run saved a moment ago shows without
// a restart, and a run it cannot read (malformed JSON, a newer schema) is
// listed as unreadable with the reason instead of failing the page.
//
//	mux := http.NewServeMux()
//	web.New("results").Register(mux) // GET /results, /results/<run>/...
//
// TableHTML, PlotHTML and VerdictHTML draw a run's parts for other pages
// (the lab), in the dashboard's Style.
package web
