package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"netmatrix/results"
)

// WriteMarkdown renders records as a Markdown document: what ran and on
// which machine, then the same tables and sentences as WriteTable, as
// GitHub-flavoured Markdown tables.
func WriteMarkdown(w io.Writer, records []results.Record) error {
	var b strings.Builder
	b.WriteString("# " + Title(records) + "\n\n")
	writeAbout(&b, records)
	for _, t := range Tables(records) {
		writeMarkdownTable(&b, t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Title names a run in a line: its scenarios, or its sweep and the
// transports it compared.
func Title(records []results.Record) string {
	if param, n := joinedSweeps(records); n > 1 {
		return fmt.Sprintf("%d sweeps of %s joined: %s", n, param, strings.Join(transportsOf(records), ", "))
	}
	if isSweep(records) {
		first, last := records[0].Scenario.Sweep, records[len(records)-1].Scenario.Sweep
		return fmt.Sprintf("Sweep of %s from %s to %s: %s", first.Param, first.Text, last.Text, strings.Join(transportsOf(records), ", "))
	}
	names := make([]string, len(records))
	for i, rec := range records {
		names[i] = scenarioLabel(rec.Scenario)
	}
	return "netmatrix: " + strings.Join(names, ", ")
}

// writeAbout says what made the records: command, machine, date and each
// scenario's path, so a saved run can be made again.
func writeAbout(b *strings.Builder, records []results.Record) {
	if len(records) == 0 {
		return
	}
	rec := records[0]
	var commands []string
	for _, r := range records {
		if r.Command != "" && !slices.Contains(commands, r.Command) {
			commands = append(commands, r.Command)
		}
	}
	if len(commands) > 0 {
		if n := results.RunCount(records); n > 1 {
			fmt.Fprintf(b, "%d runs, shown together (replay one alone for its plots), made with:\n\n", n)
		} else {
			b.WriteString("Made with:\n\n")
		}
		fmt.Fprintf(b, "```\n%s\n```\n\n", strings.Join(commands, "\n"))
	}
	env := rec.Environment
	fmt.Fprintf(b, "- machine: %s %s/%s, %d CPUs\n", env.GoVersion, env.OS, env.Arch, env.CPUs)
	if !rec.Scenario.Started.IsZero() {
		fmt.Fprintf(b, "- started: %s\n", rec.Scenario.Started.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(b, "- workloads: %s\n", DescribeWorkloads(rec.Scenario))
	for _, r := range records {
		fmt.Fprintf(b, "- path %s: %s\n", mdEscape(scenarioLabel(r.Scenario)), DescribePath(r.Scenario))
	}
	b.WriteString("\n")
}

// DescribeWorkloads says in a line how the workloads were set.
func DescribeWorkloads(s results.Scenario) string {
	var parts []string
	if s.Count > 0 {
		parts = append(parts, fmt.Sprintf("%d messages of %d bytes per echo and stream run, stream every %s", s.Count, s.Size, s.Interval))
	}
	if s.Duration > 0 {
		parts = append(parts, fmt.Sprintf("bulk for %s", s.Duration))
	}
	if s.Nagle {
		parts = append(parts, "Nagle on")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// DescribePath says in a line what the path was: its kind, its
// impairment each way, the TCP congestion control and the seed.
func DescribePath(s results.Scenario) string {
	parts := []string{s.Link}
	if s.Target != "" {
		parts = append(parts, "target "+s.Target)
	}
	if s.Up != nil && s.Down != nil {
		up, down := s.Up.Config().Describe(), s.Down.Config().Describe()
		if up == down {
			parts = append(parts, up+" each way")
		} else {
			parts = append(parts, "up: "+up, "down: "+down)
		}
	}
	if s.CongestionControl != "" {
		parts = append(parts, "TCP "+s.CongestionControl)
	}
	if s.Seed != 0 {
		parts = append(parts, fmt.Sprintf("seed %d", s.Seed))
	}
	return strings.Join(parts, ", ")
}

func writeMarkdownTable(b *strings.Builder, t Table) {
	fmt.Fprintf(b, "## %s\n\n", mdEscape(t.Title))
	cells := func(line []string) {
		b.WriteString("|")
		for _, c := range line {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	head := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		head[i] = c.Head
	}
	cells(head)
	b.WriteString("|")
	for _, c := range t.Cols {
		if c.Left {
			b.WriteString(" :--- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, line := range t.Rows {
		cells(line)
	}
	b.WriteString("\n")
	for _, e := range t.Errors {
		fmt.Fprintf(b, "- error: %s\n", mdEscape(e))
	}
	if len(t.Errors) > 0 {
		b.WriteString("\n")
	}
	if t.Note != "" {
		b.WriteString(mdEscape(t.Note) + "\n\n")
	}
}

// mdEscape keeps text that came from a run (an error message, say) from
// breaking a table or turning into markup.
var mdEscape = strings.NewReplacer(`|`, `\|`, `*`, `\*`, `_`, `\_`, "`", "\\`", "<", "&lt;", "\n", " ").Replace
