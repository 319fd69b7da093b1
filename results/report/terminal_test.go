package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/results"
)

// Fitted to 80 and 120 columns, no line of the table format is wider
// than the terminal; -wide prints every column under its full heading.
func TestTerminalFitsItsWidth(t *testing.T) {
	for _, fx := range fixtures {
		recs := loadFixture(t, fx)
		for _, term := range []struct {
			name string
			t    Terminal
		}{{"80", Terminal{Width: 80}}, {"120", Terminal{Width: 120}}, {"wide", Terminal{Width: 80, Wide: true}}} {
			t.Run(fx+"@"+term.name, func(t *testing.T) {
				var b bytes.Buffer
				require.NoError(t, term.t.Write(&b, recs))
				golden(t, filepath.Join("testdata", fx+".table-"+term.name+".golden"), b.Bytes())
				widest := 0
				for line := range strings.SplitSeq(b.String(), "\n") {
					widest = max(widest, utf8.RuneCountInString(line))
				}
				if term.t.Wide {
					assert.Greater(t, widest, 80, "-wide does not fit the terminal")
					for _, c := range tableColumns {
						if fx == "single" {
							assert.Contains(t, b.String(), c.Head, "every column, under its full heading")
						}
					}
					assert.NotContains(t, b.String(), "Not shown")
					return
				}
				assert.LessOrEqual(t, widest, term.t.Width)
			})
		}
	}
}

// WriteTable is the table format at the default width, without colour.
func TestWriteTableIsTheDefaultTerminal(t *testing.T) {
	recs := loadFixture(t, "single")
	var a, b bytes.Buffer
	require.NoError(t, WriteTable(&a, recs))
	require.NoError(t, Terminal{Width: DefaultWidth}.Write(&b, recs))
	assert.Equal(t, b.String(), a.String())
	assert.NotContains(t, a.String(), "\x1b[")
}

// Dropping columns goes by rank, a column with nothing to show first
// among equals, and never drops path or transport.
func TestFitDropsByRank(t *testing.T) {
	tb := Table{
		Cols: []Col{pathCol, transportCol, {Head: "a", Rank: 1}, {Head: "b", Rank: 3}, {Head: "c", Rank: 3}, {Head: "d", Rank: 3}},
		Rows: [][]string{{"clean", "tcp", "1", "5", "0", "7"}},
	}
	widths := colWidths(tb, []string{"path", "transport", "a", "b", "c", "d"})
	all := len("clean  transport  a  b  c  d")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, fit(tb, widths, all))
	assert.Equal(t, []int{0, 1, 2, 3, 5}, fit(tb, widths, all-1), "c has nothing to show")
	assert.Equal(t, []int{0, 1, 2, 3}, fit(tb, widths, all-4), "then the rightmost of the same rank")
	assert.Equal(t, []int{0, 1, 2}, fit(tb, widths, all-7))
	assert.Equal(t, []int{0, 1}, fit(tb, widths, 5), "path and transport stay whatever the width")
}

func TestWrap(t *testing.T) {
	assert.Equal(t, []string{"ab  cd ef", "    gh"}, wrap("ab  ", "cd ef gh", 9, "    "))
	assert.Equal(t, []string{"abcde", "fgh"}, wrap("", "abcdefgh", 5, ""), "a word longer than a line is cut")
	assert.Equal(t, []string{"x"}, wrap("x", "", 5, ""))
}

// record is a hand-made run of one workload on one path.
func record(path string, rs ...results.Result) []results.Record {
	return []results.Record{{Schema: results.Schema, Scenario: results.Scenario{Name: path, Link: "emulated"}, Results: rs}}
}

func echoRow(transport string, sent, lost int64, p99 float64) results.Result {
	return results.Result{Transport: transport, Workload: catalog.Echo, Unit: "messages", Sent: sent, Delivered: sent - lost, Lost: lost,
		LatencyMs: &results.Latency{P50: p99 / 2, P99: p99, Max: p99, N: sent - lost}}
}

func verdict(t *testing.T, term Terminal, recs []results.Record) string {
	t.Helper()
	var b strings.Builder
	term.writeVerdict(&b, recs)
	return b.String()
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []results.Record
		want []string // lines, after the heading
	}{{
		name: "the reliable ones pay in the tail",
		recs: record("lossy", echoRow("tcp", 100, 0, 300), echoRow("udp", 100, 2, 50), echoRow("quic-dgram", 100, 4, 60)),
		want: []string{
			"lossy  echo  tcp 100% 300.0 · udp 98.0% 50.0 · quic-dgram 96.0% 60.0",
			"             tcp answered every probe but paid in the tail (p99 up to 6.0x udp's); udp and quic-dgram lost up to 4.0%.",
		},
	}, {
		name: "no trade-off on a clean path",
		recs: record("clean", echoRow("tcp", 100, 0, 20), echoRow("udp", 100, 0, 10)),
		want: []string{"clean  echo  No trade-off here: every transport answered every probe; p99 from 10.0 ms (udp) to 20.0 ms (tcp)."},
	}, {
		name: "failed and interrupted rows say so",
		recs: record("lossy", echoRow("tcp", 100, 0, 20), echoRow("udp", 100, 0, 10),
			results.Result{Transport: "quic", Workload: catalog.Echo, Error: "open path: no route"},
			results.Result{Transport: "quic-dgram", Workload: catalog.Echo, Sent: 10, Delivered: 10, Interrupted: true, StoppedAt: 1e9}),
		want: []string{
			"lossy  echo  No trade-off here: tcp and udp answered every probe; p99 from 10.0 ms (udp) to 20.0 ms (tcp); quic failed and quic-dgram was cut short (see the errors below).",
		},
	}, {
		name: "a single transport is one line",
		recs: record("lossy", results.Result{Transport: "tcp", Workload: catalog.HTTP, Sent: 50, Delivered: 50,
			LatencyMs: &results.Latency{P99: 210, N: 50}}),
		want: []string{"lossy  http  tcp answered every request; p99 210.0 ms."},
	}, {
		name: "bulk: the datagrams keep their rate and lose",
		recs: record("lossy",
			results.Result{Transport: "tcp", Workload: catalog.Bulk, Unit: "bytes", Sent: 1e6, Delivered: 9e5, GoodputMbitS: results.Float(4.5)},
			results.Result{Transport: "udp", Workload: catalog.Bulk, Unit: "datagrams", Sent: 1000, Delivered: 980, Lost: 20, GoodputMbitS: results.Float(95)}),
		want: []string{
			"lossy  bulk  tcp 4.50 Mbit/s · udp 95 Mbit/s lost 2.0%",
			"             tcp lost nothing at 4.50 Mbit/s; udp lost up to 2.0%; udp carried 21x more by keeping its set rate whatever it lost.",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := verdict(t, Terminal{Width: 200}, tc.recs)
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			require.NotEmpty(t, lines)
			assert.Equal(t, verdictHead, lines[0])
			assert.Equal(t, tc.want, lines[1:])
		})
	}
}

// Colour marks the figures only where asked, and the plain text is the
// same either way.
func TestVerdictColour(t *testing.T) {
	recs := record("lossy", echoRow("tcp", 100, 0, 300), echoRow("udp", 100, 2, 50),
		results.Result{Transport: "quic", Workload: catalog.Echo, Error: "boom"})
	plain := verdict(t, Terminal{Width: 80}, recs)
	colour := verdict(t, Terminal{Width: 80, Color: true}, recs)
	assert.NotContains(t, plain, "\x1b[")
	assert.Contains(t, colour, ansiGreen+"100%"+ansiReset)
	assert.Contains(t, colour, ansiYellow+"98.0%"+ansiReset)
	assert.Contains(t, colour, ansiRed+"failed"+ansiReset)
	assert.Equal(t, plain, stripANSI(colour))
	assert.Contains(t, colour, "\nlossy  echo  tcp "+ansiGreen, "plain text carries no escapes")
	for line := range strings.SplitSeq(plain, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, "%q", line)
	}
}

// A sweep's verdict follows each transport from the first point to the
// last and reads the last in a sentence.
func TestSweepVerdict(t *testing.T) {
	got := verdict(t, Terminal{Width: 200}, loadFixture(t, "sweep"))
	assert.Contains(t, got, "echo    loss 0%→5%  tcp 100% 24.4→266.1 · udp 100%→91.7% 24.4→27.0 ·")
	assert.Contains(t, got, "\n                    At 5%: tcp, quic and quic-permsg answered every probe but paid in the tail")
	assert.Equal(t, 1+3*2, strings.Count(got, "\n"), fmt.Sprintf("a heading and two lines per workload:\n%s", got))
}

// An interrupted row's messages still on their way are neither lost nor
// in the loss share: of 100 probes, 70 answered, 20 on their way and 10
// lost is 10 of the 80 with an outcome, 12.5%; the error line says so.
func TestInterruptedRowLeavesInFlightOut(t *testing.T) {
	recs := record("delayed", results.Result{Transport: "udp", Workload: catalog.Echo, Unit: results.UnitMessages,
		Sent: 100, Delivered: 70, Lost: 10, InFlight: 20, Interrupted: true, StoppedAt: 1e9})
	var b strings.Builder
	require.NoError(t, Terminal{Width: 200}.Write(&b, recs))
	assert.Contains(t, b.String(), "10 (12%)", "10 of 80, not of 100")
	assert.Contains(t, b.String(), "interrupted after 1.00s; its figures cover only what ran until then (20 messages still on their way, counted neither delivered nor lost)")
}
