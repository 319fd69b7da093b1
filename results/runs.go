package results

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunCount is how many runs records come from: one per start time, as
// each invocation of compare stamps its own (a record without one, as a
// hand-made record may be, belongs to whichever run it sits in). A file may hold several
// (the fidelity grid joins sixteen sweeps), and a sweep or a plot
// across them would mix unlike paths.
func RunCount(records []Record) int {
	seen := map[time.Time]bool{}
	for _, rec := range records {
		if !rec.Scenario.Started.IsZero() {
			seen[rec.Scenario.Started] = true
		}
	}
	return max(len(seen), min(len(records), 1))
}

// runSettings are what may tell two runs' scenarios of the same name
// apart, in the order a label names them.
var runSettings = []func(s Scenario) string{
	func(s Scenario) string { return s.Link },
	func(s Scenario) string { return s.CongestionControl },
	func(s Scenario) string {
		if s.Up == nil {
			return ""
		}
		return s.Up.Delay.String()
	},
	func(s Scenario) string {
		if s.Seed == 0 {
			return ""
		}
		return fmt.Sprintf("seed %d", s.Seed)
	},
}

// nameRuns makes the scenario names of records from several runs tell
// the runs apart: where one name ("loss=2%") recurs across runs, each
// record so named is prefixed with the settings that differ between the
// runs ("kernel cubic 50ms seed 2 loss=2%"), and with the run's number
// if they do not. Names unique already are left alone, so a file read,
// saved and read again keeps its names.
func nameRuns(records []Record) {
	if RunCount(records) < 2 {
		return
	}
	runsOf := map[string]map[time.Time]bool{}
	for _, rec := range records {
		n := rec.Scenario.Name
		if rec.Scenario.Started.IsZero() {
			continue
		}
		if runsOf[n] == nil {
			runsOf[n] = map[time.Time]bool{}
		}
		runsOf[n][rec.Scenario.Started] = true
	}
	var differ []func(Scenario) string
	for _, setting := range runSettings {
		values := map[string]bool{}
		for _, rec := range records {
			values[setting(rec.Scenario)] = true
		}
		if len(values) > 1 {
			differ = append(differ, setting)
		}
	}
	var starts []time.Time
	for _, rec := range records {
		if !slices.Contains(starts, rec.Scenario.Started) {
			starts = append(starts, rec.Scenario.Started)
		}
	}
	for i := range records {
		s := &records[i].Scenario
		if len(runsOf[s.Name]) < 2 {
			continue
		}
		var parts []string
		for _, setting := range differ {
			if v := setting(*s); v != "" {
				parts = append(parts, v)
			}
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("run %d", slices.Index(starts, s.Started)+1))
		}
		s.Name = strings.Join(append(parts, s.Name), " ")
	}
}
