package main

import (
	"io"
	"os"
	"strconv"

	"netmatrix/results/report"
)

// terminal is how the table format draws for w: as wide as the terminal
// w is (its own size, else $COLUMNS, else report.DefaultWidth), in colour
// only on a terminal and where NO_COLOR (no-color.org) is not set, so a
// table written to a file or a pipe carries no escapes.
func terminal(w io.Writer, wide bool) report.Terminal {
	t := report.Terminal{Wide: wide, Width: report.DefaultWidth}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		t.Width = n
	}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		if n := ttyWidth(f); n > 0 {
			t.Width = n
		}
		t.Color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return t
}
