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

// A file that joins several runs (the fidelity grid: the same sweep on
// two paths) names each scenario by what sets its run apart, so that
// no two rows of a table read alike; one run keeps its names, and the
// names survive being written and read again.
func TestReadJSONNamesJoinedRuns(t *testing.T) {
	point := func(started time.Time, link string, seed int64, name string) Record {
		return Record{Schema: Schema, Scenario: Scenario{Name: name, Link: link, Started: started, Seed: seed,
			Up: &Link{Delay: Ms(10 * time.Millisecond)}, Sweep: &Sweep{Param: "loss", Text: name}},
			Results: []Result{{Transport: "tcp", Workload: "bulk", Direction: ""}}}
	}
	t0 := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	read := func(recs []Record) []string {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, recs))
		got, err := ReadJSON(&b)
		require.NoError(t, err)
		var names []string
		for _, r := range got {
			names = append(names, r.Scenario.Name)
		}
		return names
	}

	one := []Record{point(t0, "emulated", 1, "loss=1%"), point(t0, "emulated", 1, "loss=2%")}
	assert.Equal(t, []string{"loss=1%", "loss=2%"}, read(one), "one run keeps its names")
	assert.Equal(t, 1, RunCount(one))

	grid := []Record{
		point(t0, "emulated", 1, "loss=1%"), point(t1, "emulated", 2, "loss=1%"),
		point(t2, "kernel", 1, "loss=1%"), point(t2, "kernel", 1, "clean"),
	}
	names := read(grid)
	assert.Equal(t, []string{"emulated seed 1 loss=1%", "emulated seed 2 loss=1%", "kernel seed 1 loss=1%", "clean"}, names,
		"the settings that differ between runs, and only where a name recurs")
	assert.Equal(t, 3, RunCount(grid))

	// Read again, the names are already apart and stay as they are.
	again := []Record{point(t0, "emulated", 1, names[0]), point(t1, "emulated", 2, names[1])}
	assert.Equal(t, names[:2], read(again))

	// Runs alike in every setting are told apart by their order.
	twins := []Record{point(t0, "emulated", 1, "lossy"), point(t3, "emulated", 1, "lossy")}
	assert.Equal(t, []string{"run 1 lossy", "run 2 lossy"}, read(twins))
}
