package results

import (
	"bytes"
	"errors"
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
		{"newer", `{"schema":3,"results":"a string now"}`, "record 1 has schema 3, this build reads up to 2", true},
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

// compare -format json writes a line per row as each finishes, rows of
// several scenarios interleaved; read back, they are the run's records,
// each with its rows in table order.
func TestReadJSONJoinsRows(t *testing.T) {
	started := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clean := Record{Schema: Schema, Scenario: Scenario{Name: "clean", Link: "emulated", Started: started}, Command: "compare"}
	lossy := clean
	lossy.Scenario.Name = "lossy"
	var b bytes.Buffer
	for _, row := range []struct {
		rec *Record
		r   Result
	}{
		{&clean, Result{Transport: "udp", Workload: "bulk", Direction: "down"}},
		{&lossy, Result{Transport: "tcp", Workload: "stream"}},
		{&clean, Result{Transport: "tcp", Workload: "echo"}},
		{&clean, Result{Transport: "udp", Workload: "bulk", Direction: "up"}},
		{&clean, Result{Transport: "tcp", Workload: "bulk"}},
	} {
		rec := *row.rec
		rec.Results = []Result{row.r}
		require.NoError(t, WriteJSON(&b, []Record{rec}))
	}
	assert.Equal(t, 5, strings.Count(b.String(), "\n"), "a line per row")
	recs, err := ReadJSON(&b)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "clean", recs[0].Scenario.Name)
	var got []string
	for _, r := range recs[0].Results {
		got = append(got, r.Workload+"/"+r.Transport+"/"+r.Direction)
	}
	assert.Equal(t, []string{"echo/tcp/", "bulk/tcp/", "bulk/udp/up", "bulk/udp/down"}, got)
	assert.Len(t, recs[1].Results, 1)
}
