package main

import (
	"context"
	"os"

	"netmatrix/http"
	"netmatrix/results/web"
)

// The results dashboard joins the site through extraRoutes, so the rest
// of httpserve does not change for it: GET /results lists the runs that
// "compare -save" wrote, each as its tables and plots.
func init() {
	extraRoutes = append(extraRoutes, func(_ context.Context, mux *http.ServeMux) { web.New(resultsRoot()).Register(mux) })
}

// resultsRoot is the folder of saved runs: $NETMATRIX_RESULTS, or
// "results" under the working directory, where "compare -save" puts them
// when run from the top of the repository.
func resultsRoot() string {
	if dir := os.Getenv("NETMATRIX_RESULTS"); dir != "" {
		return dir
	}
	return "results"
}
