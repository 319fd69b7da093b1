// Package harness is the engine of a comparison: it lays out the runs (a
// workload over a transport on a scenario's path, each on a fresh path of
// its own), runs them, and turns what each saw into a results.Record.
//
// The workloads are echo (round trips), stream (paced one-way messages),
// bulk (as fast as the path allows) and http (requests to the raw HTTP
// server); the transports are the rows of package catalog, driven through
// the tcp, udp and quic packages' clients and servers. The paths are the
// kinds of package netpath.
//
// Each run has a client and a server half (package half). The client runs
// here; the server half runs on the path's server host through
// LocalServer, or, on a path that provides its own (a remote one), where
// that path says. What the server half observed comes back as a
// half.Report either way, and is analysed here, once.
//
//	sc := harness.Scenario{
//		Record:  results.Scenario{Name: "lossy", Link: results.LinkEmulated},
//		NewPath: func(ctx context.Context, _ netpath.Use) (netpath.Path, error) { return emulated.New(ctx, spec, netpath.Options{}) },
//	}
//	recs, err := harness.Run(ctx, []harness.Scenario{sc}, harness.Config{}, nil)
package harness
