package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/harness/catalog"
	"netmatrix/harness/half"
	"netmatrix/harness/link"
	"netmatrix/harness/netpath"
	"netmatrix/harness/netpath/emulated"
	"netmatrix/harness/netpath/loopback"
	"netmatrix/results"
)

// quicRun runs the stream workload of one QUIC row over a fresh emulated
// path with the same seeded link, and returns the result and what the
// link did.
func quicRun(tb testing.TB, row string, spec link.Spec, cfg Config) (results.Result, results.PathStats) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	p, err := emulated.New(ctx, spec, netpath.Options{})
	require.NoError(tb, err)
	defer p.Close()
	cfg = cfg.Defaults()
	shape, _ := catalog.LookupTransport(row)
	r, err := runStream(ctx, transports[row], shape, p, newTapMux(p), half.Up, &cfg)
	require.NoError(tb, err, row)
	st, ok := p.Stats()
	require.True(tb, ok)
	return r, st
}

// lossy is 5% independent loss each way with a 10 ms one-way delay: a
// retransmission then costs a round trip or more, well over the stream's
// 10 ms pacing, so a lost message visibly holds up those behind it.
func lossy(seed uint64) link.Spec {
	return link.Symmetric(link.Config{Loss: 0.05, Delay: 10 * time.Millisecond}, seed)
}

// These tests run one path at a time, not in parallel: each is paced in
// real time, and a starved CPU shows in the figures they check.

func TestQUICStreamsDeliverEverythingUnderLoss(t *testing.T) {
	cfg := Config{Count: 200, Interval: 10 * time.Millisecond}
	for _, row := range []string{"quic", "quic-permsg"} {
		t.Run(row, func(t *testing.T) {
			r, path := quicRun(t, row, lossy(7), cfg)
			require.Positive(t, path.Up.Lost, "the link dropped packets")
			assert.Equal(t, int64(200), r.Sent)
			assert.Equal(t, int64(200), r.Delivered, "every message arrived")
			assert.Zero(t, r.Lost)
			assert.Zero(t, r.Duplicates)
			assert.Zero(t, r.Corrupt)
			if row == "quic" {
				assert.Zero(t, r.Reordered, "one stream delivers in order")
			}
			// quic-go saw the loss and repaired it.
			assert.Positive(t, r.TransportStats["packets_lost"])
			assert.Positive(t, r.TransportStats["retransmitted_bytes"])
			assert.Positive(t, r.HandshakeMs)
		})
	}
}

func TestQUICDatagramsLoseWhatTheLinkDrops(t *testing.T) {
	const n = 400
	r, path := quicRun(t, "quic-dgram", lossy(11), Config{Count: n, Interval: 5 * time.Millisecond})
	ts := r.TransportStats
	dropped, packets := path.Up.Lost, path.Up.Packets
	unsent := n - int64(ts["datagrams_sent"])
	t.Logf("lost %d of %d messages; the link dropped %d of %d packets upstream; quic-go declared %d datagrams lost, dropped %d sending and %d receiving, had %d still queued; %d spurious losses",
		r.Lost, n, dropped, packets, ts["datagrams_lost"], ts["datagrams_dropped"], ts["server_datagrams_dropped"], unsent, ts["spurious_losses"])
	require.Positive(t, dropped, "the link dropped packets")
	assert.InDelta(t, 0.05, float64(r.Lost)/n, 0.04, "about the link's loss rate")
	// QUIC never sends a datagram again: each message lost went down with
	// a packet the sender's loss detection declared lost, or quic-go
	// dropped it itself (one that no longer fit its packet, one that
	// found the receiver's queue full), or congestion control still held
	// it back when the run ended: all of which quic-go counts. A loss at
	// the very end may not be found in time, hence the slack of two.
	explained := int64(ts["datagrams_lost"]+ts["datagrams_dropped"]+ts["server_datagrams_dropped"]) + unsent
	assert.InDelta(t, explained, r.Lost, float64(ts["spurious_losses"]+2), "every lost message is one quic-go counted")
	// ...and the packets it declared lost are packets the path dropped.
	assert.LessOrEqual(t, ts["packets_lost"], dropped+path.StackDrops+ts["spurious_losses"])
	assert.Zero(t, ts["retransmitted_bytes"], "datagrams are never retransmitted")
}

// On one stream a lost packet holds back the messages behind it; a
// stream per message hands each over as it comes. Head-of-line delay is
// measured from the frames quic-go received, so neither jitter nor a
// stalled machine makes it up: on the clean path it is zero.
func TestQUICStreamPerMessageHasNoHeadOfLineDelay(t *testing.T) {
	cfg := Config{Count: 150, Interval: 20 * time.Millisecond}
	lossyPath := link.Symmetric(link.Config{Loss: 0.05, Delay: 20 * time.Millisecond}, 3)
	one, _ := quicRun(t, "quic", lossyPath, cfg)
	per, _ := quicRun(t, "quic-permsg", lossyPath, cfg)
	require.NotNil(t, one.HOLMs)
	t.Logf("p99 head-of-line delay on one stream %.1f ms; p99 one-way delay: one stream %.1f ms, stream per message %.1f ms",
		one.HOLMs.P99, one.LatencyMs.P99, per.LatencyMs.P99)
	assert.Greater(t, one.HOLMs.P99, 5.0, "on one stream, messages wait behind a lost one")
	assert.Nil(t, per.HOLMs, "a stream per message has none to report")

	jittery := link.Symmetric(link.Config{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}, 3)
	clean, _ := quicRun(t, "quic", jittery, cfg)
	require.NotNil(t, clean.HOLMs)
	assert.Zero(t, clean.HOLMs.Max, "no loss, no head-of-line delay, whatever the jitter")
}

// TestQUICRowsOnLoopback runs every workload of the QUIC rows end to end
// on the host's own stack, the benchmark's path.
func TestQUICRowsOnLoopback(t *testing.T) {
	sc := Scenario{
		Record:  results.Scenario{Name: "loopback", Link: "loopback"},
		NewPath: func(context.Context, netpath.Use) (netpath.Path, error) { return loopback.New(netpath.Options{}) },
	}
	cfg := Config{Transports: []string{"quic", "quic-permsg", "quic-dgram"}, Count: 20, Interval: time.Millisecond, Duration: 200 * time.Millisecond}
	recs, err := Run(t.Context(), []Scenario{sc}, cfg, nil)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	rows := make(map[string]results.Result)
	for _, r := range recs[0].Results {
		assert.Empty(t, r.Error, "%s/%s", r.Workload, r.Transport)
		rows[r.Workload+"/"+r.Transport] = r
	}
	assert.Len(t, rows, 3+3+2, "bulk has no stream-per-message row")
	for _, k := range []string{"echo/quic", "echo/quic-permsg", "echo/quic-dgram", "stream/quic", "stream/quic-permsg"} {
		assert.Equal(t, int64(20), rows[k].Delivered, k)
		assert.Positive(t, rows[k].HandshakeMs, k)
		assert.Positive(t, rows[k].TransportStats["packets_sent"], k)
		assert.Positive(t, rows[k].TransportStats["server_packets_sent"], k)
	}
	b := rows["bulk/quic"]
	require.NotNil(t, b.GoodputMbitS)
	assert.Positive(t, *b.GoodputMbitS)
	require.NotNil(t, b.Verified)
	assert.True(t, *b.Verified)
	d := rows["bulk/quic-dgram"]
	assert.Equal(t, "datagrams", d.Unit)
	assert.Positive(t, d.Delivered)
}
