package results

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("20ms"): how schema 1 records wrote times. Version 2 writes Ms.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("results: duration must be a string like \"20ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// Ms is a time.Duration that reads and writes JSON as a number of
// milliseconds, the record's one unit of time ("interval_ms": 20).
type Ms time.Duration

func (m Ms) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m)/float64(time.Millisecond), 'g', -1, 64), nil
}

func (m *Ms) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("results: a time must be a number of milliseconds, not %s", b)
	}
	*m = Ms(v * float64(time.Millisecond))
	return nil
}

// D is m as a time.Duration.
func (m Ms) D() time.Duration { return time.Duration(m) }

func (m Ms) String() string { return time.Duration(m).String() }
