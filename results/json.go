package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// on one line each or spread over many).
func ReadJSON(r io.Reader) ([]Record, error) {
	dec := json.NewDecoder(r)
	var out []Record
	for {
		var rec Record
		err := dec.Decode(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("results: record %d: %w", len(out)+1, err)
		}
		if rec.Schema > Schema {
			return out, fmt.Errorf("%w: %d (this build reads %d)", ErrNewerSchema, rec.Schema, Schema)
		}
		if rec.Schema < 1 {
			return out, fmt.Errorf("results: record %d has no schema version", len(out)+1)
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, errors.New("results: no records")
	}
	return out, nil
}
