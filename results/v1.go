package results

import (
	"time"

	"netmatrix/harness/catalog"
)

// Schema 1, as the first netmatrix wrote it: times as Go duration
// strings, units left to the reader, every latency and goodput field
// present on every row (zero where it did not apply). ReadJSON reads it
// into today's Record, so the committed runs of that time still open.

type recordV1 struct {
	Schema      int         `json:"schema"`
	Scenario    scenarioV1  `json:"scenario"`
	Environment Environment `json:"environment"`
	Results     []resultV1  `json:"results"`
	Command     string      `json:"command,omitempty"`
}

type scenarioV1 struct {
	Name              string    `json:"name"`
	Link              string    `json:"link"`
	Target            string    `json:"target"`
	Started           time.Time `json:"started"`
	Seed              int64     `json:"seed"`
	Up                *linkV1   `json:"up"`
	Down              *linkV1   `json:"down"`
	Count             int       `json:"count"`
	Interval          Duration  `json:"interval"`
	Size              int       `json:"size"`
	Duration          Duration  `json:"duration"`
	Nagle             bool      `json:"nagle"`
	CongestionControl string    `json:"congestion_control"`
	Sweep             *struct {
		Param string  `json:"param"`
		Value float64 `json:"value"`
		Text  string  `json:"text"`
	} `json:"sweep"`
}

type linkV1 struct {
	Loss          float64  `json:"loss"`
	BurstLen      float64  `json:"burst_len"`
	Delay         Duration `json:"delay"`
	Jitter        Duration `json:"jitter"`
	Reorder       float64  `json:"reorder"`
	Duplicate     float64  `json:"duplicate"`
	BandwidthBits int64    `json:"bandwidth_bps"`
	Queue         int      `json:"queue"`
	MTU           int      `json:"mtu"`
}

type resultV1 struct {
	Transport        string            `json:"transport"`
	Workload         string            `json:"workload"`
	Unit             string            `json:"unit"`
	Sent             int64             `json:"sent"`
	Delivered        int64             `json:"delivered"`
	Lost             int64             `json:"lost"`
	Reordered        int64             `json:"reordered"`
	Duplicates       int64             `json:"duplicates"`
	Corrupt          int64             `json:"corrupt"`
	Late             int64             `json:"late"`
	InFlight         int64             `json:"in_flight"`
	LatencyMs        Latency           `json:"latency_ms"`
	JitterMs         float64           `json:"jitter_ms"`
	ReorderExtentMax int64             `json:"reorder_extent_max"`
	HOLMs            *Latency          `json:"hol_ms"`
	GoodputMbps      float64           `json:"goodput_mbps"`
	Bytes            int64             `json:"bytes"`
	Elapsed          Duration          `json:"elapsed"`
	Verified         *bool             `json:"verified"`
	HandshakeMs      float64           `json:"handshake_ms"`
	Path             *PathStats        `json:"path"`
	TransportStats   map[string]uint64 `json:"transport_stats"`
	Error            string            `json:"error"`
}

// upgrade is the version 1 record as a Record of today.
func (v recordV1) upgrade() Record {
	s := v.Scenario
	rec := Record{
		Schema: Schema, Environment: v.Environment, Command: v.Command,
		Scenario: Scenario{
			Name: s.Name, Link: s.Link, Target: s.Target, Started: s.Started, Seed: s.Seed,
			Up: s.Up.upgrade(), Down: s.Down.upgrade(), Count: s.Count, Size: s.Size,
			Interval: Ms(s.Interval), Duration: Ms(s.Duration), Nagle: s.Nagle,
			CongestionControl: s.CongestionControl,
		},
	}
	if sw := s.Sweep; sw != nil {
		rec.Scenario.Sweep = &Sweep{Param: sw.Param, Value: sw.Value, Text: sw.Text, Unit: SweepUnit(sw.Param)}
	}
	for _, r := range v.Results {
		rec.Results = append(rec.Results, r.upgrade())
	}
	return rec
}

func (l *linkV1) upgrade() *Link {
	if l == nil {
		return nil
	}
	return &Link{
		Loss: l.Loss, BurstLen: l.BurstLen, Delay: Ms(l.Delay), Jitter: Ms(l.Jitter), Reorder: l.Reorder,
		Duplicate: l.Duplicate, BandwidthBits: l.BandwidthBits, Queue: l.Queue, MTU: l.MTU,
	}
}

// upgrade keeps the figures a version 1 row had for its workload and
// drops the zeros that stood for "does not apply". Head-of-line delay of
// a transport that hands messages over out of order goes too: version 1
// computed one for them, but they have none by construction.
func (r resultV1) upgrade() Result {
	out := Result{
		Transport: r.Transport, Workload: r.Workload, Unit: r.Unit, Sent: r.Sent, Delivered: r.Delivered,
		Lost: r.Lost, Reordered: r.Reordered, Duplicates: r.Duplicates, Corrupt: r.Corrupt, Late: r.Late,
		InFlight: r.InFlight, ReorderExtentMax: r.ReorderExtentMax, Bytes: r.Bytes, Verified: r.Verified,
		HandshakeMs: r.HandshakeMs, Path: r.Path, TransportStats: r.TransportStats, Error: r.Error,
	}
	w, _ := catalog.LookupWorkload(r.Workload)
	if w.Latency != "" {
		out.Metric = string(w.Latency)
		lat := r.LatencyMs
		out.LatencyMs = &lat
	}
	if r.Workload == catalog.Stream {
		out.JitterMs = Float(r.JitterMs)
		if t, ok := catalog.LookupTransport(r.Transport); ok && t.Ordered {
			out.HOLMs = r.HOLMs
		}
	}
	if r.Workload == catalog.Bulk {
		out.GoodputMbitS = Float(r.GoodputMbps)
		out.Elapsed = Ms(r.Elapsed)
	}
	return out
}

// SweepUnit is the unit a sweep over param records its values in.
func SweepUnit(param string) string {
	switch param {
	case "loss":
		return "share"
	case "delay", "jitter":
		return "s"
	case "bandwidth":
		return "bit/s"
	}
	return ""
}
