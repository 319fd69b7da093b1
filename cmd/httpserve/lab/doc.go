// Package lab is httpserve's /lab: a page where a person sets a link (a
// profile, or loss, burst, delay, jitter, bandwidth, queue), picks
// transports and workloads, presses Run, and watches them run in this
// process over the emulated path. Progress comes back as server-sent
// events over a chunked response from netmatrix's own HTTP server, and
// each workload's tables and plots fill in as its rows finish; a
// finished run can be saved beside compare's runs and laid beside one
// of them on /results.
//
// Runs are bounded: one at a time (another request is told the lab is
// busy), each message count, bulk duration and sweep within Limits, the
// whole run within Limits.MaxRun, and stopped when its page goes away
// or the server stops. The page loads nothing but what this package
// serves: its script and style sheet are embedded, the plots are inline
// SVG, and no font is fetched.
//
//	lab.New(ctx, "results").Register(mux) // GET /lab, POST /lab/run, POST /lab/save
package lab
