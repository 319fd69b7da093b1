package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"netmatrix/harness/catalog"
)

// WriteJSON writes each record as one line of JSON (JSON Lines): a single
// scenario is exactly one object, several are one per line, and both read
// back with ReadJSON or jq.
func WriteJSON(w io.Writer, records []Record) error {
	enc := json.NewEncoder(w)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return fmt.Errorf("results: %w", err)
		}
	}
	return nil
}

// ErrNewerSchema reports a record written by a newer netmatrix.
var ErrNewerSchema = errors.New("results: record has a newer schema")

// ReadJSON reads the records WriteJSON wrote (one or more JSON objects,
// on one line each or spread over many). Each record's schema is read
// before the rest of it, so a record from a newer netmatrix is reported
// as such (ErrNewerSchema) rather than as whatever field it changed.
//
// Records of one scenario (the same scenario, environment and command,
// its start time included) come back as one, their results in table
// order: `compare -format json` writes a record per row as each row
// finishes, and this is the run they make. Where a file joins several
// runs and a scenario name recurs across them, the names are made to
// tell the runs apart (see nameRuns).
func ReadJSON(r io.Reader) ([]Record, error) {
	out, err := readJSON(r)
	out = merge(out)
	nameRuns(out)
	return out, err
}

// merge joins the records of one scenario into the first of them.
func merge(recs []Record) []Record {
	var out []Record
	at := map[string]int{} // a record's header, as JSON, to its index in out
	joined := map[int]bool{}
	for _, rec := range recs {
		head := rec
		head.Results = nil
		b, err := json.Marshal(head)
		if err != nil {
			out = append(out, rec) // cannot happen for a decoded record
			continue
		}
		i, ok := at[string(b)]
		if !ok {
			at[string(b)] = len(out)
			out = append(out, rec)
			continue
		}
		out[i].Results = append(out[i].Results, rec.Results...)
		joined[i] = true
	}
	for i := range joined {
		Sort(out[i].Results)
	}
	return out
}

// Sort orders results as tables show them: by workload, then transport,
// in the catalog's order, and up before down.
func Sort(rs []Result) {
	slices.SortStableFunc(rs, func(a, b Result) int {
		if d := catalog.WorkloadIndex(a.Workload) - catalog.WorkloadIndex(b.Workload); d != 0 {
			return d
		}
		if d := catalog.TransportIndex(a.Transport) - catalog.TransportIndex(b.Transport); d != 0 {
			return d
		}
		return dirRank(a.Direction) - dirRank(b.Direction)
	})
}

// dirRank puts a row up (or of no direction) before one down.
func dirRank(d string) int {
	if d == DirectionDown {
		return 1
	}
	return 0
}

func readJSON(r io.Reader) ([]Record, error) {
	dec := json.NewDecoder(r)
	var out []Record
	for {
		n := len(out) + 1
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return out, fmt.Errorf("results: record %d is not valid JSON (at byte %d): %w", n, syn.Offset, err)
			}
			return out, fmt.Errorf("results: record %d is not valid JSON: %w", n, err)
		}
		var head struct {
			Schema *int `json:"schema"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return out, fmt.Errorf("results: record %d is not a JSON object with a schema number: %w", n, err)
		}
		switch {
		case head.Schema == nil:
			return out, fmt.Errorf("results: record %d has no schema version: not a netmatrix record", n)
		case *head.Schema > Schema:
			return out, fmt.Errorf("%w: record %d has schema %d, this build reads up to %d", ErrNewerSchema, n, *head.Schema, Schema)
		case *head.Schema < 1:
			return out, fmt.Errorf("results: record %d has schema %d: no netmatrix wrote that", n, *head.Schema)
		}
		rec, err := decodeRecord(raw, *head.Schema)
		if err != nil {
			return out, fmt.Errorf("results: record %d does not fit schema %d: %w", n, *head.Schema, err)
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, errors.New("results: no records")
	}
	return out, nil
}

// RunFile is the file of a saved run's folder that holds its records, as
// WriteJSON writes them.
const RunFile = "run.json"

// LoadRun reads the records of a run saved in dir.
func LoadRun(dir string) ([]Record, error) {
	f, err := os.Open(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	return ReadJSON(f)
}

// decodeRecord reads a record of the given schema as a Record of today.
func decodeRecord(raw []byte, schema int) (Record, error) {
	if schema == 1 {
		var v recordV1
		if err := json.Unmarshal(raw, &v); err != nil {
			return Record{}, err
		}
		return v.upgrade(), nil
	}
	var rec Record
	err := json.Unmarshal(raw, &rec)
	return rec, err
}
