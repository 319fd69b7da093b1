package report

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"netmatrix/harness/catalog"
	"netmatrix/harness/link"
	"netmatrix/results"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMathisModel(t *testing.T) {
	link := func(loss float64, delay time.Duration) *results.Link {
		return &results.Link{Loss: loss, Delay: results.Ms(delay), MTU: 1500}
	}
	m, ok := Mathis(results.Scenario{Up: link(0.01, 20*time.Millisecond), Down: link(0.01, 20*time.Millisecond)})
	require.True(t, ok)
	// 1460 B x 8 / 40 ms x sqrt(1.5) / sqrt(0.01) = 3.577 Mbit/s
	assert.InDelta(t, 1460*8/0.04*math.Sqrt(1.5)/0.1/1e6, m.Mbps, 1e-9)
	assert.Equal(t, 1460, m.MSS)
	assert.Equal(t, 40*time.Millisecond, m.RTT)
	// Four times the loss halves the rate: the square-root law.
	m4, _ := Mathis(results.Scenario{Up: link(0.04, 20*time.Millisecond), Down: link(0.04, 20*time.Millisecond)})
	assert.InDelta(t, m.Mbps/2, m4.Mbps, 1e-9)

	// A run of downloads is predicted from the down link's loss: here
	// four times the up link's, so half the rate.
	down, _ := Mathis(results.Scenario{Direction: results.DirectionDown, Up: link(0.01, 20*time.Millisecond), Down: link(0.04, 20*time.Millisecond)})
	assert.InDelta(t, m.Mbps/2, down.Mbps, 1e-9)
	up, _ := Mathis(results.Scenario{Up: link(0.01, 20*time.Millisecond), Down: link(0.04, 20*time.Millisecond)})
	assert.InDelta(t, m.Mbps, up.Mbps, 1e-9)

	for name, sc := range map[string]results.Scenario{
		"no loss":  {Up: link(0, 20*time.Millisecond), Down: link(0, 20*time.Millisecond)},
		"no delay": {Up: link(0.01, 0), Down: link(0.01, 0)},
		"no link":  {},
	} {
		_, ok := Mathis(sc)
		assert.False(t, ok, name)
	}
}

// Padhye et al.'s figure worked by hand at two points: one where the
// timeout term is small and T0 is the 200 ms floor, one where loss is so
// high that min(1, ...) saturates and T0 is twice a long round trip.
func TestPadhyeModel(t *testing.T) {
	link := func(loss float64, delay time.Duration) *results.Link {
		return &results.Link{Loss: loss, Delay: results.Ms(delay), MTU: 1500}
	}
	// p = 1%, RTT 40 ms, b = 2, T0 = 200 ms:
	// RTT sqrt(2bp/3) = 0.04 x sqrt(0.04/3)            = 0.0046188 s
	// T0 min(1, 3 sqrt(3bp/8)) p (1+32p^2)
	//   = 0.2 x 3 sqrt(0.0075) x 0.01 x 1.0032         = 0.0005213 s
	// 1/0.0051401 s = 194.55 packets/s x 1460 B x 8    = 2.2723 Mbit/s
	m, ok := Padhye(results.Scenario{Up: link(0.01, 20*time.Millisecond), Down: link(0.01, 20*time.Millisecond)})
	require.True(t, ok)
	assert.InDelta(t, 2.2723, m.Mbps, 1e-4)
	// Below Mathis's 3.577 Mbit/s at the same point: the timeouts cost.
	mm, _ := Mathis(results.Scenario{Up: link(0.01, 20*time.Millisecond), Down: link(0.01, 20*time.Millisecond)})
	assert.Less(t, m.Mbps, mm.Mbps)

	// p = 20%, RTT 200 ms: 3 sqrt(3bp/8) = 1.16, so min(...) = 1, and
	// T0 = 2 RTT = 400 ms.
	// 0.2 x sqrt(0.8/3) = 0.10328 s; 0.4 x 1 x 0.2 x 2.28 = 0.1824 s;
	// 1/0.28568 s = 3.5004 packets/s x 1460 B x 8 = 0.040885 Mbit/s
	m, ok = Padhye(results.Scenario{Up: link(0.2, 100*time.Millisecond), Down: link(0.2, 100*time.Millisecond)})
	require.True(t, ok)
	assert.InDelta(t, 0.040885, m.Mbps, 1e-6)

	_, ok = Padhye(results.Scenario{Up: link(0, 20*time.Millisecond), Down: link(0, 20*time.Millisecond)})
	assert.False(t, ok, "no loss, no prediction")
}

func TestRunName(t *testing.T) {
	day := time.Date(2026, 11, 25, 3, 4, 5, 0, time.UTC)
	sweep := []results.Record{{Scenario: results.Scenario{Started: day, Sweep: &results.Sweep{Param: "loss"}, CongestionControl: "reno"}}}
	assert.Equal(t, "2026-11-25-sweep-loss-reno", RunName(sweep))
	pair := []results.Record{{Scenario: results.Scenario{Started: day, Name: "clean"}}, {Scenario: results.Scenario{Name: "lossy"}}}
	assert.Equal(t, "2026-11-25-clean-lossy", RunName(pair))
	odd := []results.Record{{Scenario: results.Scenario{Started: day, Name: "4G+custom / ../x"}}}
	assert.Equal(t, "2026-11-25-4g-custom-..-x", RunName(odd))
	assert.Equal(t, "run", slug("///"))
}

// Records that parse but make little sense render without a panic: the
// dashboard shows whatever a results folder holds.
func TestOddRecordsRender(t *testing.T) {
	for name, recs := range map[string][]results.Record{
		"no results": {{Schema: 1}},
		"sweep without links": {
			{Schema: 1, Scenario: results.Scenario{Name: "a", Sweep: &results.Sweep{Param: "loss", Value: 0.01, Text: "1%"}}, Results: []results.Result{{Transport: "tcp", Workload: "bulk"}}},
			{Schema: 1, Scenario: results.Scenario{Name: "b", Sweep: &results.Sweep{Param: "loss", Value: 0.01, Text: "1%"}}, Results: []results.Result{{Transport: "tcp", Workload: "stream", LatencyMs: &results.Latency{N: 1, CDF: []results.CDFPoint{{Ms: 0, Q: 1}}}}}},
		},
		"zero goodput on a lossy sweep": {
			{Schema: 1, Scenario: results.Scenario{Sweep: &results.Sweep{Param: "loss", Value: 0.01, Text: "1%"}, Up: &results.Link{Loss: 0.01, Delay: results.Ms(time.Millisecond)}, Down: &results.Link{Loss: 0.01, Delay: results.Ms(time.Millisecond)}},
				Results: []results.Result{{Transport: "tcp", Workload: "bulk", Sent: 1}}},
			{Schema: 1, Scenario: results.Scenario{Sweep: &results.Sweep{Param: "loss", Value: 0.5, Text: "50%"}, Up: &results.Link{Loss: 0.5, Delay: results.Ms(time.Millisecond)}, Down: &results.Link{Loss: 0.5, Delay: results.Ms(time.Millisecond)}},
				Results: []results.Result{{Transport: "tcp", Workload: "bulk", Sent: 1, GoodputMbitS: results.Float(100)}}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			require.NoError(t, WriteTable(&b, recs))
			require.NoError(t, WriteMarkdown(&b, recs))
			require.NoError(t, WriteCSV(&b, recs))
			_, err := Plots(recs)
			require.NoError(t, err)
		})
	}
}

// The link drops column is the link's own count of what it dropped,
// whatever the reason: MTU drops included, and they survive the JSON.
func TestLinkDropsColumnIsTheLinksCount(t *testing.T) {
	up := link.Counters{Packets: 100, Forwarded: 90, Lost: 4, QueueDrops: 3, TooBig: 3}
	down := link.Counters{Packets: 50, Forwarded: 49, TooBig: 1}
	rec := results.Record{Schema: results.Schema, Scenario: results.Scenario{Name: "mtu", Link: "emulated"},
		Results: []results.Result{{Transport: catalog.UDP, Workload: catalog.Stream, Unit: "messages", Sent: 100, Delivered: 90,
			Path: &results.PathStats{Up: up, Down: down}}}}
	var js bytes.Buffer
	require.NoError(t, results.WriteJSON(&js, []results.Record{rec}))
	assert.Contains(t, js.String(), `"too_big":3`)
	back, err := results.ReadJSON(&js)
	require.NoError(t, err)
	require.Equal(t, up, back[0].Results[0].Path.Up, "every counter read back")

	tables := Tables(back)
	require.Len(t, tables, 1)
	col := slices.IndexFunc(tables[0].Cols, func(c Col) bool { return c.Head == "link drops up/down" })
	require.GreaterOrEqual(t, col, 0)
	assert.Equal(t, fmt.Sprintf("%d/%d", up.Dropped(), down.Dropped()), tables[0].Rows[0][col])
	assert.Equal(t, "10/1", tables[0].Rows[0][col])
}

// Milliseconds print with three significant digits at every magnitude
// down to nanoseconds, and zero as zero.
func TestFmtMs(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.000150: "0.000150", 0.0000201: "0.0000201", 0.0201: "0.0201", 0.0213: "0.0213",
		0.146: "0.146", 6.56: "6.56", 20.7: "20.7", 329: "329.0", 1204: "1204",
	} {
		assert.Equal(t, want, fmtMs(v), "%v", v)
	}
}

// Rows the emulator bounded are named as such, and no ratio of their
// latencies is offered as the transports' difference.
func TestExplainEmulatorBoundRows(t *testing.T) {
	late := &link.LatenessSummary{P50: 0.01, P99: 0.4, Max: 1, N: 300}
	row := func(tr string, p99 float64) results.Result {
		return results.Result{Transport: tr, Workload: catalog.Echo, Unit: "messages", Sent: 10, Delivered: 10,
			Metric: "rtt", LatencyMs: &results.Latency{P50: p99 / 2, P99: p99, N: 10}, EmulatorBound: true,
			Path: &results.PathStats{RelayLateness: late}}
	}
	s := explain(catalog.Echo, []results.Result{row(catalog.TCP, 0.9), row(catalog.UDP, 0.1)}, func(int) string { return "clean" })
	assert.Contains(t, s, "the rows marked * (tcp and udp) describe this machine more than the transport")
	assert.Contains(t, s, "0.400 ms late")
	assert.NotContains(t, s, "x UDP's")
	assert.NotContains(t, s, "x tcp's")
}
