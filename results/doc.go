// Package results holds the record of a run (the scenario, the machine,
// one Result per transport and workload) and renders it: as terminal
// tables that end in a plain sentence saying what the numbers mean, as
// Markdown and CSV, as SVG plots (latency CDFs; for a sweep, p99 one-way
// delay, delivered share and goodput against the swept setting, with the
// Mathis et al. model on the goodput plot), and as JSON with a schema
// version, one record per line.
//
// A sweep is many records, one per value of a link setting, each with
// Scenario.Sweep saying which value it ran at.
//
//	rec := results.Record{Schema: results.Schema, Scenario: sc, Results: rs}
//	results.WriteTable(os.Stdout, []results.Record{rec})
//	dir, err := results.Save("results", []results.Record{rec}) // run.json, report.md, *.svg
//
// Saved runs live in folders under results/ at the top of the repository;
// its README reads the reference runs kept there.
package results
