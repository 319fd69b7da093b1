package report

import (
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"netmatrix/results"
)

// DefaultWidth is the width a terminal table fits when nothing tells the
// terminal's own.
const DefaultWidth = 120

// minWidth is the narrowest width a table is fitted to: below it, the
// columns that always stay would not fit anyway.
const minWidth = 40

// colGap is the space between two columns.
const colGap = "  "

// Terminal draws records for a person at a terminal: a verdict in a few
// lines first, then each table fitted to the width, with short headings
// and a legend, so no row wraps.
type Terminal struct {
	// Width is the terminal's width in columns; zero means DefaultWidth.
	Width int
	// Wide prints every column under its full heading, whatever Width.
	Wide bool
	// Color marks the verdict's figures and the headings with ANSI
	// escapes. Leave it off for anything but a terminal.
	Color bool
}

// WriteTable renders records as a terminal DefaultWidth columns wide
// without colour (see Terminal.Write).
func WriteTable(w io.Writer, records []results.Record) error { return Terminal{}.Write(w, records) }

// Write renders records: the verdict, then every table (see Tables),
// each followed by the sentence that reads it.
func (t Terminal) Write(w io.Writer, records []results.Record) error {
	var b strings.Builder
	t.writeVerdict(&b, records)
	for _, tb := range Tables(records) {
		t.writeTable(&b, tb)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t Terminal) width() int {
	if t.Width <= 0 {
		return DefaultWidth
	}
	return max(t.Width, minWidth)
}

// writeTable draws one table: its title, the columns that fit, a legend
// of the short headings it used and of the columns it left out, the
// errors of failed runs, and its sentence, all within the width.
func (t Terminal) writeTable(b *strings.Builder, tb Table) {
	width := t.width()
	b.WriteString("\n")
	writeWrapped(b, t.bold(tb.Title), textLen(tb.Title), width, "")
	heads := make([]string, len(tb.Cols))
	for i, c := range tb.Cols {
		heads[i] = c.Head
		if !t.Wide {
			heads[i] = c.short()
		}
	}
	widths := colWidths(tb, heads)
	keep := allColumns(len(tb.Cols))
	if !t.Wide {
		keep = fit(tb, widths, width)
	}
	line := func(cells []string, style func(string) string) {
		var l strings.Builder
		for k, i := range keep {
			if k > 0 {
				l.WriteString(colGap)
			}
			l.WriteString(style(pad(cells[i], widths[i], tb.Cols[i].Left)))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(heads, t.bold)
	rule := make([]string, len(tb.Cols))
	for i := range rule {
		rule[i] = strings.Repeat("─", widths[i])
	}
	line(rule, t.dim)
	for j, r := range tb.Rows {
		cells := r
		// A path names its group of rows once: the eye finds where
		// clean ends and lossy begins without reading every line.
		if j > 0 && len(r) > 0 && tb.Cols[0].Left && r[0] == tb.Rows[j-1][0] {
			cells = append([]string{""}, r[1:]...)
		}
		line(cells, func(s string) string { return s })
	}
	if legend := legendText(tb, keep, t.Wide); legend != "" {
		writeWrapped(b, t.dim(legend), textLen(legend), width, "")
	}
	for _, e := range tb.Errors {
		writeWrapped(b, "error: "+e, -1, width, "  ")
	}
	if tb.Note != "" {
		writeWrapped(b, tb.Note, -1, width, "")
	}
}

func allColumns(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// colWidths is each column's width: its heading's or its widest cell's.
func colWidths(tb Table, heads []string) []int {
	widths := make([]int, len(tb.Cols))
	for i, h := range heads {
		widths[i] = textLen(h)
		for _, r := range tb.Rows {
			if i < len(r) {
				widths[i] = max(widths[i], textLen(r[i]))
			}
		}
	}
	return widths
}

// fit picks the columns that fit width, in their order. It drops one
// column at a time until the rest fit: the highest rank first, among
// equals one with nothing to show (every cell 0 or "-"), then the
// rightmost. Columns of rank 0 stay whatever the width.
func fit(tb Table, widths []int, width int) []int {
	keep := allColumns(len(tb.Cols))
	total := func() int {
		n := len(colGap) * (len(keep) - 1)
		for _, i := range keep {
			n += widths[i]
		}
		return n
	}
	for total() > width {
		drop := -1
		for k, i := range keep {
			c := tb.Cols[i]
			if c.Rank == 0 {
				continue
			}
			if drop < 0 {
				drop = k
				continue
			}
			d := tb.Cols[keep[drop]]
			switch {
			case c.Rank > d.Rank,
				c.Rank == d.Rank && blank(tb, i) == blank(tb, keep[drop]),
				c.Rank == d.Rank && blank(tb, i):
				drop = k
			}
		}
		if drop < 0 {
			break // only the columns that always stay are left
		}
		keep = slices.Delete(keep, drop, drop+1)
	}
	return keep
}

// blank reports whether column i has nothing to show: no row has a
// figure other than zero.
func blank(tb Table, i int) bool {
	for _, r := range tb.Rows {
		if i < len(r) && !slices.Contains([]string{"", "-", "0", "0/0", "0%", "0 (0%)"}, r[i]) {
			return false
		}
	}
	return true
}

// legendText says what the short headings shown stand for, and which
// columns a narrow terminal left out.
func legendText(tb Table, keep []int, wide bool) string {
	if wide {
		return ""
	}
	var about, left []string
	for i, c := range tb.Cols {
		switch {
		case !slices.Contains(keep, i):
			left = append(left, c.Head)
		case c.About != "":
			about = append(about, c.short()+": "+c.About)
		}
	}
	var parts []string
	if len(about) > 0 {
		parts = append(parts, strings.Join(about, "; "))
	}
	if len(left) > 0 {
		parts = append(parts, "Not shown: "+strings.Join(left, ", ")+" (-wide shows every column)")
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ". ") + "."
}

// pad fills s to width, on the right for text and on the left for
// numbers, so figures line up by their last digit.
func pad(s string, width int, left bool) string {
	fill := strings.Repeat(" ", max(width-textLen(s), 0))
	if left {
		return s + fill
	}
	return fill + s
}

// textLen is how many columns s takes on a terminal: one a rune, for
// the text tables hold (ASCII, box drawing, arrows).
func textLen(s string) int { return utf8.RuneCountInString(s) }

// writeWrapped writes text in lines of at most width columns, broken
// between words; lines after the first start with indent. A word longer
// than a line is cut. Text that carries colour escapes is written as it
// is when its visible length (n) fits; n < 0 means text is plain.
func writeWrapped(b *strings.Builder, text string, n, width int, indent string) {
	if n >= 0 && n <= width {
		b.WriteString(text + "\n")
		return
	}
	if n >= 0 {
		text = stripANSI(text)
	}
	for _, l := range wrap("", text, width, indent) {
		b.WriteString(l + "\n")
	}
}

// wrap breaks text into lines of at most width columns, between words.
// The first line starts with prefix as it is (a label, its padding
// kept), the others with indent.
func wrap(prefix, text string, width int, indent string) []string {
	var lines []string
	line, n, empty := prefix, textLen(prefix), true
	next := func() {
		lines = append(lines, line)
		line, n, empty = indent, textLen(indent), true
	}
	for _, word := range strings.Fields(text) {
		wl := textLen(word)
		if !empty && n+1+wl > width {
			next()
		}
		if !empty {
			line += " "
			n++
		}
		for n+wl > width && width > n {
			// A word longer than a line (a path, a URL in an error) is cut.
			r := []rune(word)
			line += string(r[:width-n])
			word, wl = string(r[width-n:]), wl-(width-n)
			n = width
			next()
		}
		line += word
		n += wl
		empty = false
	}
	if !empty || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// stripANSI removes colour escapes ("\x1b[...m").
func stripANSI(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}

// ANSI styles, applied only when Color is on.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

func (t Terminal) style(code, s string) string {
	if !t.Color || s == "" || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t Terminal) bold(s string) string { return t.style(ansiBold, s) }
func (t Terminal) dim(s string) string  { return t.style(ansiDim, s) }
