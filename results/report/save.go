package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"netmatrix/results"
)

// ReportFile is the Markdown report of a saved run, beside its
// results.RunFile: the tables, sentences and plots, for people.
const ReportFile = "report.md"

// RunName is the folder name a saved run gets: its date, then its
// scenarios, or its sweep and TCP congestion control
// ("2026-11-25-sweep-loss-reno", "2026-11-25-clean-lossy").
func RunName(records []results.Record) string {
	date := time.Now().UTC()
	if len(records) > 0 && !records[0].Scenario.Started.IsZero() {
		date = records[0].Scenario.Started.UTC()
	}
	var what string
	if param, n := joinedSweeps(records); n > 1 {
		what = fmt.Sprintf("%d-sweeps-%s", n, param)
	} else if isSweep(records) {
		what = "sweep-" + records[0].Scenario.Sweep.Param
		if cc := records[0].Scenario.CongestionControl; cc != "" {
			what += "-" + cc
		}
	} else {
		names := make([]string, len(records))
		for i, rec := range records {
			names[i] = scenarioLabel(rec.Scenario)
		}
		what = strings.Join(names, "-")
	}
	return date.Format("2006-01-02") + "-" + slug(what)
}

// slug keeps letters, digits, dots and dashes, so a name is safe as a
// folder on every system and in a URL.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
			b.WriteRune(r)
			dash = false
		case r == '%':
			b.WriteString("pct")
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "run"
	}
	return out
}

// Save writes a run into a new folder under root named by RunName (with
// -2, -3... if that exists already): the records as results.RunFile, every plot
// as SVG, and ReportFile, the Markdown tables with the plots shown. It
// returns the folder.
func Save(root string, records []results.Record) (string, error) {
	if len(records) == 0 {
		return "", errors.New("results: save: no records")
	}
	plots, err := Plots(records)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("results: save: %w", err)
	}
	name := RunName(records)
	dir := filepath.Join(root, name)
	for i := 2; ; i++ {
		err = os.Mkdir(dir, 0o755)
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			break
		}
		dir = filepath.Join(root, fmt.Sprintf("%s-%d", name, i))
	}
	if err != nil {
		return "", fmt.Errorf("results: save: %w", err)
	}
	var js, md bytes.Buffer
	if err := results.WriteJSON(&js, records); err != nil {
		return "", err
	}
	if err := writeReport(&md, records, plots, ""); err != nil {
		return "", err
	}
	files := map[string][]byte{results.RunFile: js.Bytes(), ReportFile: md.Bytes()}
	for _, p := range plots {
		files[p.Name+".svg"] = p.SVG
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", fmt.Errorf("results: save: %w", err)
		}
	}
	return dir, nil
}

// writeReport is WriteMarkdown followed by the plots as images, each
// linked as prefix + its name + ".svg" (prefix "" for files beside the
// report).
func writeReport(w io.Writer, records []results.Record, plots []Plot, prefix string) error {
	if err := WriteMarkdown(w, records); err != nil {
		return err
	}
	if len(plots) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("## Plots\n\n")
	for _, p := range plots {
		fmt.Fprintf(&b, "![%s](%s%s.svg)\n\n", mdEscape(p.Title), prefix, p.Name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
