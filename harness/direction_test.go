package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/results"
)

// findDir is the row of a workload and transport in direction dir.
func findDir(t *testing.T, rec results.Record, workload, transport, dir string) results.Result {
	t.Helper()
	for _, r := range rec.Results {
		if r.Workload == workload && r.Transport == transport && r.Direction == dir {
			return r
		}
	}
	t.Fatalf("no %s/%s %s result in %+v", workload, transport, dir, rec.Results)
	return results.Result{}
}

// The server half sends, over a link that loses only on the way down:
// the reliable rows deliver everything and wait for it, the datagram rows
// lose what the link dropped on the way down, no more and no less.
func TestDownstreamMeetsTheDownLink(t *testing.T) {
	spec := link.Spec{Up: link.Config{Delay: 2 * time.Millisecond},
		Down: link.Config{Loss: 0.1, Delay: 2 * time.Millisecond}, Seed: 5}
	recs, err := Run(t.Context(), []Scenario{onEmulated("down", spec)}, Config{
		Workloads: []string{catalog.Stream, catalog.Bulk}, Direction: half.Down,
		Count: 100, Interval: 2 * time.Millisecond, Duration: 300 * time.Millisecond, BulkRate: 20e6,
	}, nil)
	require.NoError(t, err)
	rec := recs[0]
	assert.Equal(t, half.Down, rec.Scenario.Direction)
	require.Len(t, rec.Results, 5+4)
	for _, r := range rec.Results {
		assert.Empty(t, r.Error, "%s/%s", r.Workload, r.Transport)
		assert.Equal(t, half.Down, r.Direction)
		require.NotNil(t, r.Path)
	}
	for _, tr := range []string{catalog.TCP, catalog.QUIC, catalog.QUICPerMsg} {
		r := findDir(t, rec, catalog.Stream, tr, half.Down)
		assert.EqualValues(t, 100, r.Delivered, tr)
		assert.Positive(t, r.Path.Down.Lost, tr)
	}
	// Head-of-line delay is seen where the client's transport received
	// the bytes: the link's packets for TCP, quic-go's frames for QUIC.
	for _, tr := range []string{catalog.TCP, catalog.QUIC} {
		r := findDir(t, rec, catalog.Stream, tr, half.Down)
		require.NotNil(t, r.HOLMs, tr)
		assert.Positive(t, r.HOLMs.Max, "%s: a message waited behind a lost one", tr)
	}
	udp := findDir(t, rec, catalog.Stream, catalog.UDP, half.Down)
	assert.EqualValues(t, 100, udp.Sent)
	assert.Equal(t, int64(udp.Path.Down.Lost), udp.Lost, "UDP lost what the link dropped on the way down")
	assert.Zero(t, udp.Path.Up.Lost)
	assert.Greater(t, udp.LatencyMs.P50, 2.0, "the link's delay, one way")

	tcp := findDir(t, rec, catalog.Bulk, catalog.TCP, half.Down)
	require.NotNil(t, tcp.Verified)
	assert.True(t, *tcp.Verified)
	assert.Positive(t, tcp.Bytes)
	assert.InDelta(t, 0.3, tcp.Elapsed.D().Seconds(), 0.05, "the server half's run length")
	ub := findDir(t, rec, catalog.Bulk, catalog.UDP, half.Down)
	assert.Equal(t, int64(ub.Path.Down.Lost), ub.Lost, "UDP bulk lost what the link dropped")
	assert.Positive(t, ub.Delivered)
}

// Both ways at once: two rows per transport, each direction's loss its
// own link's.
func TestBidirIsTwoRows(t *testing.T) {
	spec := link.Spec{Up: link.Config{Loss: 0.1, Delay: time.Millisecond},
		Down: link.Config{Delay: time.Millisecond}, Seed: 9}
	recs, err := Run(t.Context(), []Scenario{onEmulated("bidir", spec)}, Config{
		Workloads: []string{catalog.Stream, catalog.Bulk}, Transports: []string{catalog.TCP, catalog.UDP},
		Direction: Bidir, Count: 100, Interval: 2 * time.Millisecond, Duration: 200 * time.Millisecond, BulkRate: 10e6,
	}, nil)
	require.NoError(t, err)
	rec := recs[0]
	var got []string
	for _, r := range rec.Results {
		assert.Empty(t, r.Error, "%s/%s %s", r.Workload, r.Transport, r.Direction)
		got = append(got, r.Workload+"/"+r.Transport+"/"+r.Direction)
	}
	assert.Equal(t, []string{"stream/tcp/up", "stream/tcp/down", "stream/udp/up", "stream/udp/down",
		"bulk/tcp/up", "bulk/tcp/down", "bulk/udp/up", "bulk/udp/down"}, got)
	assert.Positive(t, findDir(t, rec, catalog.Stream, catalog.UDP, half.Up).Lost, "the way up loses")
	assert.Zero(t, findDir(t, rec, catalog.Stream, catalog.UDP, half.Down).Lost, "the way down does not")
	assert.EqualValues(t, 100, findDir(t, rec, catalog.Stream, catalog.TCP, half.Up).Delivered)
}

// On loopback, every row that runs down delivers, and nothing leaks.
func TestDownOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	recs, err := Run(t.Context(), []Scenario{{
		Record:  results.Scenario{Name: "loopback", Link: "loopback"},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return loopback.New(netpath.Options{}) },
	}}, Config{Workloads: []string{catalog.Stream, catalog.Bulk}, Direction: half.Down,
		Count: 40, Interval: time.Millisecond, Duration: 200 * time.Millisecond, BulkBytes: 1 << 20}, nil)
	require.NoError(t, err)
	for _, r := range recs[0].Results {
		assert.Empty(t, r.Error, "%s/%s", r.Workload, r.Transport)
		if r.Workload == catalog.Stream {
			assert.EqualValues(t, 40, r.Delivered, r.Transport)
			continue
		}
		require.NotNil(t, r.Verified, r.Transport)
		assert.True(t, *r.Verified, r.Transport)
		assert.Positive(t, *r.GoodputMbitS, r.Transport)
		if catalog.Reliable(r.Transport) {
			assert.EqualValues(t, 1<<20, r.Bytes, r.Transport)
		}
	}
}

// The satellite profile's link is fast down and slow up: bulk down shows
// the downlink, bulk up the uplink.
func TestBulkDownMeasuresTheDownlink(t *testing.T) {
	spec := link.Spec{Up: link.Config{Bandwidth: 2e6, Delay: 5 * time.Millisecond},
		Down: link.Config{Bandwidth: 20e6, Delay: 5 * time.Millisecond}, Seed: 1}
	up := runOne(t, spec, catalog.Bulk, catalog.TCP, Config{Duration: time.Second})
	down := runOne(t, spec, catalog.Bulk, catalog.TCP, Config{Duration: time.Second, Direction: half.Down})
	require.Empty(t, up.Error)
	require.Empty(t, down.Error)
	t.Logf("up %.2f Mbit/s, down %.2f Mbit/s", *up.GoodputMbitS, *down.GoodputMbitS)
	assert.Less(t, *up.GoodputMbitS, 2.0)
	assert.Greater(t, *down.GoodputMbitS, 10.0)
}
