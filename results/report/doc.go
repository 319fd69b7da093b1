// Package report draws run records (package results) for people: as
// terminal tables that end in a plain sentence saying what the numbers
// mean, as Markdown and CSV, and as SVG plots (latency CDFs; for a sweep,
// p99 one-way delay, delivered share and goodput against the swept
// setting, with the Mathis et al. model on the goodput plot). Save writes
// a run's folder: its records, its Markdown report and its plots.
//
//	report.WriteTable(os.Stdout, records)
//	dir, err := report.Save("results", records) // run.json, report.md, *.svg
//
// Every format draws the same Tables, so they show the same numbers.
package report
