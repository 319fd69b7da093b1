package main

import (
	"context"

	"netmatrix/cmd/httpserve/lab"
	"netmatrix/http"
)

// The lab joins the site through extraRoutes: GET /lab is a page that
// runs transports and workloads in this process over the emulated path
// and saves what it ran beside compare's runs. Its runs end when the
// server is told to stop.
func init() {
	extraRoutes = append(extraRoutes, func(ctx context.Context, mux *http.ServeMux) { lab.New(ctx, resultsRoot()).Register(mux) })
}
