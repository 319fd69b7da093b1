// Package results is the record of a run: the scenario, the machine, one
// Result per transport and workload, written as JSON with a schema
// version, one record per line, and read back with ReadJSON. It holds
// the record alone, so the engine that fills it in imports no renderer;
// package report draws it as tables, Markdown, CSV and plots.
//
// A sweep is many records, one per value of a link setting, each with
// Scenario.Sweep saying which value it ran at.
//
//	rec := results.Record{Schema: results.Schema, Scenario: sc, Results: rs}
//	err := results.WriteJSON(os.Stdout, []results.Record{rec})
//	recs, err := results.LoadRun("results/2026-12-01-clean-lossy")
//
// Saved runs live in folders under results/ at the top of the repository;
// its README reads the reference runs kept there.
package results
