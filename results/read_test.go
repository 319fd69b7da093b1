package results

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadJSONSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		newer          bool
	}{
		{"truncated", `{"schema":1,"scenario":{`, "record 1 is not valid JSON", false},
		{"garbage after a good record", `{"schema":1}` + "\n" + `{"schema":1,]`, "record 2 is not valid JSON (at byte", false},
		{"not an object", `[1,2]`, "record 1 is not a JSON object", false},
		{"no schema", `{"scenario":{}}`, "record 1 has no schema version", false},
		{"schema zero", `{"schema":0}`, "record 1 has schema 0", false},
		// A newer record whose fields changed type is still reported as
		// newer, not as a type error in the field that changed.
		{"newer", `{"schema":2,"results":"a string now"}`, "record 1 has schema 2, this build reads up to 1", true},
		{"wrong type", `{"schema":1,"results":"a string"}`, "record 1 does not fit schema 1", false},
		{"empty", ``, "no records", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.newer, errors.Is(err, ErrNewerSchema))
		})
	}
}

func TestMathisModel(t *testing.T) {
	link := func(loss float64, delay time.Duration) *Link {
		return &Link{Loss: loss, Delay: Duration(delay), MTU: 1500}
	}
	m, ok := Mathis(Scenario{Up: link(0.01, 20*time.Millisecond), Down: link(0.01, 20*time.Millisecond)})
	require.True(t, ok)
	// 1460 B x 8 / 40 ms x sqrt(1.5) / sqrt(0.01) = 3.577 Mbit/s
	assert.InDelta(t, 1460*8/0.04*math.Sqrt(1.5)/0.1/1e6, m.Mbps, 1e-9)
	assert.Equal(t, 1460, m.MSS)
	assert.Equal(t, 40*time.Millisecond, m.RTT)
	// Four times the loss halves the rate: the square-root law.
	m4, _ := Mathis(Scenario{Up: link(0.04, 20*time.Millisecond), Down: link(0.04, 20*time.Millisecond)})
	assert.InDelta(t, m.Mbps/2, m4.Mbps, 1e-9)

	for name, sc := range map[string]Scenario{
		"no loss":  {Up: link(0, 20*time.Millisecond), Down: link(0, 20*time.Millisecond)},
		"no delay": {Up: link(0.01, 0), Down: link(0.01, 0)},
		"no link":  {},
	} {
		_, ok := Mathis(sc)
		assert.False(t, ok, name)
	}
}

func TestRunName(t *testing.T) {
	day := time.Date(2026, 11, 25, 3, 4, 5, 0, time.UTC)
	sweep := []Record{{Scenario: Scenario{Started: day, Sweep: &Sweep{Param: "loss"}, CongestionControl: "reno"}}}
	assert.Equal(t, "2026-11-25-sweep-loss-reno", RunName(sweep))
	pair := []Record{{Scenario: Scenario{Started: day, Name: "clean"}}, {Scenario: Scenario{Name: "lossy"}}}
	assert.Equal(t, "2026-11-25-clean-lossy", RunName(pair))
	odd := []Record{{Scenario: Scenario{Started: day, Name: "4G+custom / ../x"}}}
	assert.Equal(t, "2026-11-25-4g-custom-..-x", RunName(odd))
	assert.Equal(t, "run", slug("///"))
}

// Records that parse but make little sense render without a panic: the
// dashboard shows whatever a results folder holds.
func TestOddRecordsRender(t *testing.T) {
	for name, recs := range map[string][]Record{
		"no results": {{Schema: 1}},
		"sweep without links": {
			{Schema: 1, Scenario: Scenario{Name: "a", Sweep: &Sweep{Param: "loss", Value: 0.01, Text: "1%"}}, Results: []Result{{Transport: "tcp", Workload: "bulk"}}},
			{Schema: 1, Scenario: Scenario{Name: "b", Sweep: &Sweep{Param: "loss", Value: 0.01, Text: "1%"}}, Results: []Result{{Transport: "tcp", Workload: "stream", LatencyMs: Latency{N: 1, CDF: []CDFPoint{{Ms: 0, Q: 1}}}}}},
		},
		"zero goodput on a lossy sweep": {
			{Schema: 1, Scenario: Scenario{Sweep: &Sweep{Param: "loss", Value: 0.01, Text: "1%"}, Up: &Link{Loss: 0.01, Delay: Duration(time.Millisecond)}, Down: &Link{Loss: 0.01, Delay: Duration(time.Millisecond)}},
				Results: []Result{{Transport: "tcp", Workload: "bulk", Sent: 1}}},
			{Schema: 1, Scenario: Scenario{Sweep: &Sweep{Param: "loss", Value: 0.5, Text: "50%"}, Up: &Link{Loss: 0.5, Delay: Duration(time.Millisecond)}, Down: &Link{Loss: 0.5, Delay: Duration(time.Millisecond)}},
				Results: []Result{{Transport: "tcp", Workload: "bulk", Sent: 1, GoodputMbps: 100}}},
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
