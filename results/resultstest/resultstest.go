package resultstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"netmatrix/results"
)

// Schema compiles results.JSONSchema.
func Schema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(results.JSONSchema))
	require.NoError(tb, err, "the schema is JSON")
	c := jsonschema.NewCompiler()
	require.NoError(tb, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(tb, err, "the schema compiles")
	return sch
}

// RequireSchema fails tb unless every line of out (JSON Lines, as
// results.WriteJSON writes them) is a record that fits the schema.
func RequireSchema(tb testing.TB, out []byte) {
	tb.Helper()
	sch := Schema(tb)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		n++
		var v any
		require.NoError(tb, json.Unmarshal(sc.Bytes(), &v), "line %d is JSON", n)
		require.NoError(tb, sch.Validate(v), "line %d fits the schema", n)
	}
	require.NoError(tb, sc.Err())
	require.Positive(tb, n, "at least one record")
}

// CommittedRuns returns the folders of the reference runs committed under
// resultsDir (the repository's results folder, as seen from the calling
// test's package): the folders named by the date of their run that hold
// a run file. It fails tb if there are none, so that a test over every
// run cannot pass by seeing none.
func CommittedRuns(tb testing.TB, resultsDir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(resultsDir, "2*", results.RunFile))
	require.NoError(tb, err)
	require.NotEmpty(tb, files, "the reference runs under %s", resultsDir)
	dirs := make([]string, len(files))
	for i, f := range files {
		dirs[i] = filepath.Dir(f)
	}
	return dirs
}
