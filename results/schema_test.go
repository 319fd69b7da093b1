package results_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/results"
	"netmatrix/results/resultstest"
)

// The committed reference runs are this schema's, as saved: every line
// of every run.json fits the schema as it is on disk (not only once read
// and written anew), says schema 2, names the metric of every row with
// latencies, and has no head-of-line figure for a transport without a
// single ordered stream.
func TestCommittedRunsAreCurrent(t *testing.T) {
	for _, dir := range resultstest.CommittedRuns(t, ".") {
		t.Run(dir, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, results.RunFile))
			require.NoError(t, err)
			resultstest.RequireSchema(t, raw)
			for line := range bytes.Lines(raw) {
				var rec struct {
					Schema  int `json:"schema"`
					Results []struct {
						Transport string          `json:"transport"`
						Metric    string          `json:"metric"`
						Latency   json.RawMessage `json:"latency_ms"`
						HOL       json.RawMessage `json:"hol_ms"`
					} `json:"results"`
				}
				require.NoError(t, json.Unmarshal(line, &rec))
				require.Equal(t, results.Schema, rec.Schema)
				for _, r := range rec.Results {
					if r.Latency != nil {
						assert.NotEmpty(t, r.Metric, "%s: latencies name their metric", r.Transport)
					}
					if tr, ok := catalog.LookupTransport(r.Transport); ok && !tr.Ordered {
						assert.Nil(t, r.HOL, "%s: no head-of-line figure", r.Transport)
					}
				}
			}
		})
	}
}

// Every record this build writes fits the schema it publishes: the
// committed runs (read and written anew) and the golden outputs.
func TestWrittenRecordsFitTheSchema(t *testing.T) {
	for _, dir := range resultstest.CommittedRuns(t, ".") {
		t.Run(dir, func(t *testing.T) {
			recs, err := results.LoadRun(dir)
			require.NoError(t, err)
			requireRewriteFits(t, recs)
		})
	}
}

// The report's fixtures, real runs too (lfn.json has every field of a
// TCP bulk row: limited_by, limited_ms, link_share, the spurious
// retransmissions), fit it as this build writes them.
func TestReportFixturesFitTheSchema(t *testing.T) {
	files, err := filepath.Glob("report/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fh, err := os.Open(f)
			require.NoError(t, err)
			defer fh.Close()
			recs, err := results.ReadJSON(fh)
			require.NoError(t, err)
			requireRewriteFits(t, recs)
		})
	}
}

// requireRewriteFits fails t unless recs, as this build writes them, fit
// the schema.
func requireRewriteFits(t *testing.T, recs []results.Record) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, results.WriteJSON(&b, recs))
	resultstest.RequireSchema(t, b.Bytes())
}

// A QUIC bulk row's verdict stands alone: quic-go keeps no clocks of its
// sender's states, so there is no limited_ms behind it.
func TestSchemaTakesAQUICVerdict(t *testing.T) {
	sch := resultstest.Schema(t)
	for _, by := range []string{"receiver", "congestion", "link", "emulator"} {
		rec := `{"schema":2,"scenario":{"name":"x","link":"emulated","started":"2026-12-01T00:00:00Z"},"environment":{"go":"go","os":"linux","arch":"amd64","cpus":2},"results":[` +
			`{"transport":"quic","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"` + by + `"}]}`
		var v any
		require.NoError(t, json.Unmarshal([]byte(rec), &v))
		assert.NoError(t, sch.Validate(v), by)
	}
}

// The schema refuses what a record must not say.
func TestSchemaRefusesWhatARecordMustNotSay(t *testing.T) {
	sch := resultstest.Schema(t)
	for name, doc := range map[string]string{
		"hol on udp":              `{"transport":"udp","workload":"stream","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"hol_ms":{"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0,"n":1}}`,
		"latency on bulk":         `{"transport":"tcp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"metric":"rtt","latency_ms":{"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0,"n":1}}`,
		"goodput on echo":         `{"transport":"tcp","workload":"echo","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"goodput_mbit_s":1}`,
		"latency no metric":       `{"transport":"tcp","workload":"echo","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"latency_ms":{"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0,"n":1}}`,
		"a unit-less time":        `{"transport":"tcp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"elapsed":"1s"}`,
		"limited_by on udp":       `{"transport":"udp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"link","limited_ms":{"busy":1,"receive_window":0,"congestion":0,"recovery":0,"send_buffer":0,"writer":0,"stack":0}}`,
		"limited_by on echo":      `{"transport":"tcp","workload":"echo","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"link","limited_ms":{"busy":1,"receive_window":0,"congestion":0,"recovery":0,"send_buffer":0,"writer":0,"stack":0}}`,
		"limited_by alone":        `{"transport":"tcp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"link"}`,
		"limited_by unknown":      `{"transport":"tcp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"gremlins","limited_ms":{"busy":1,"receive_window":0,"congestion":0,"recovery":0,"send_buffer":0,"writer":0,"stack":0}}`,
		"limited_by alone on udp": `{"transport":"udp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"receiver"}`,
		"limited_ms on quic":      `{"transport":"quic","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"congestion","limited_ms":{"busy":1,"receive_window":0,"congestion":0,"recovery":0,"send_buffer":0,"writer":0,"stack":0}}`,
		"receiver on tcp":         `{"transport":"tcp","workload":"bulk","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"limited_by":"receiver","limited_ms":{"busy":1,"receive_window":0,"congestion":0,"recovery":0,"send_buffer":0,"writer":0,"stack":0}}`,
		"echo with a direction":   `{"transport":"tcp","workload":"echo","direction":"down","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0}`,
		"a bound, no offset":      `{"transport":"udp","workload":"stream","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"clock_bound_ms":1}`,
		"a clock on a rtt":        `{"transport":"udp","workload":"echo","sent":1,"delivered":1,"lost":0,"reordered":0,"duplicates":0,"metric":"rtt","latency_ms":{"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0,"n":1},"clock_offset_ms":0,"clock_bound_ms":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			rec := `{"schema":2,"scenario":{"name":"x","link":"emulated","started":"2026-12-01T00:00:00Z"},"environment":{"go":"go","os":"linux","arch":"amd64","cpus":2},"results":[` + doc + `]}`
			var v any
			require.NoError(t, json.Unmarshal([]byte(rec), &v))
			assert.Error(t, sch.Validate(v))
		})
	}
}
