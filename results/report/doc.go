// Package report draws run records (package results) for people: for a
// terminal, a verdict of a few lines (what each transport gave on each
// path, and the trade-off in a sentence) and then tables fitted to the
// terminal's width, each ending in a plain sentence saying what the
// numbers mean; as Markdown and CSV; and as SVG plots (latency CDFs; for
// a sweep, p99 one-way delay, delivered share and goodput against the
// swept setting, with the Mathis et al. model on the goodput plot). Save
// writes a run's folder: its records, its Markdown report and its plots.
//
//	report.Terminal{Width: 80, Color: true}.Write(os.Stdout, records)
//	report.WriteTable(f, records) // 120 columns, no colour
//	dir, err := report.Save("results", records) // run.json, report.md, *.svg
//
// A table's columns are one list (tableColumns), each with its heading,
// a short heading for a narrow terminal and a rank: the terminal keeps
// the columns of lowest rank that fit, and a legend says what it left
// out.
//
// Every format draws the same Tables, so they show the same numbers.
package report
