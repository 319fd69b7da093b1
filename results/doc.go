// Package results holds the record of a run (the scenario, the machine,
// one Result per transport and workload) and renders it: as terminal
// tables that end in a plain sentence saying what the numbers mean, and as
// JSON with a schema version, one record per line.
//
//	rec := results.Record{Schema: results.Schema, Scenario: sc, Results: rs}
//	results.WriteTable(os.Stdout, []results.Record{rec})
package results
