package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"netmatrix/harness/link"
	"netmatrix/results"
)

// What each limited_by reads as; the golden files hold them in context.
func TestLimitClause(t *testing.T) {
	share := results.Float(0.973)
	for _, tc := range []struct {
		name string
		r    results.Result
		want string
	}{
		{"none", results.Result{Transport: "tcp"}, ""},
		{"link", results.Result{Transport: "tcp", LimitedBy: results.LimitedByLink, LinkShare: share},
			"tcp was held by the link, at 97% of its rate"},
		{"send buffer, sized", results.Result{Transport: "tcp", LimitedBy: results.LimitedBySendBuffer, MaxSendBuffer: 4 << 20, LinkShare: results.Float(0.43)},
			"tcp was held by its 4 MiB send buffer, at 43% of the link's rate"},
		{"receive window, no rate limit", results.Result{Transport: "tcp", LimitedBy: results.LimitedByReceiveWindow, MaxPeerWindow: 3 << 20},
			"tcp was held by the receiver's 3 MiB window"},
		{"loss recovery", results.Result{Transport: "tcp", LimitedBy: results.LimitedByCongestion, LimitedMs: &results.SenderLimits{Congestion: 1, Recovery: 9}},
			"tcp was held by its loss recovery"},
		{"cpu", results.Result{Transport: "tcp", LimitedBy: results.LimitedByCPU},
			"tcp was held by this machine's CPU, not TCP"},
		// A share over 1 (the link's own duplicates) reads as all of it.
		{"share past the rate", results.Result{Transport: "tcp", LimitedBy: results.LimitedByLink, LinkShare: results.Float(1.02)},
			"tcp was held by the link, at 100% of its rate"},
		// The long fat link's QUIC row: 1,462 declared lost, none of them
		// the link's; a download reads the server's count and the down
		// link's drops.
		{"receiver", results.Result{Transport: "quic", LimitedBy: results.LimitedByReceiver, LinkShare: results.Float(0.36),
			TransportStats: map[string]uint64{"packets_lost": 1462, "server_packets_lost": 3}, Path: &results.PathStats{Down: link.Counters{Lost: 3}}},
			"quic was held by its receiving end, not the link: of the 1462 packets its sender declared lost, the link dropped 0, and the receiver the rest, unable to take them in time on this machine; congestion control took them for congestion, at 36% of the link's rate"},
		{"receiver, downloading", results.Result{Transport: "quic", Direction: results.DirectionDown, LimitedBy: results.LimitedByReceiver,
			TransportStats: map[string]uint64{"packets_lost": 1462, "server_packets_lost": 40}, Path: &results.PathStats{Up: link.Counters{Lost: 900}, Down: link.Counters{QueueDrops: 10, Lost: 5}}},
			"quic was held by its receiving end, not the link: of the 40 packets its sender declared lost, the link dropped 15, and the receiver the rest, unable to take them in time on this machine; congestion control took them for congestion"},
		{"receiver on loopback", results.Result{Transport: "quic", LimitedBy: results.LimitedByReceiver, TransportStats: map[string]uint64{"packets_lost": 297}},
			"quic was held by its receiving end: the 297 packets its sender declared lost crossed no link, and the receiver dropped them, unable to take them in time on this machine; congestion control took them for congestion"},
		{"a name this build does not know", results.Result{Transport: "tcp", LimitedBy: "gremlins"}, "tcp was held by gremlins"},
		{"interrupted", results.Result{Transport: "tcp", LimitedBy: results.LimitedByLink, Interrupted: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, limitClause(tc.r))
		})
	}
}

func TestSpuriousClause(t *testing.T) {
	n, zero := uint64(535), uint64(0)
	assert.Equal(t, "535 of the 643 segments tcp retransmitted were spurious (data the link had delivered)",
		spuriousClause(results.Result{Transport: "tcp", Path: &results.PathStats{TCPRetransmits: 643, TCPSpuriousRetransmits: &n}}))
	one := uint64(1)
	assert.Equal(t, "1 of the 2 segments tcp retransmitted was spurious (data the link had delivered)",
		spuriousClause(results.Result{Transport: "tcp", Path: &results.PathStats{TCPRetransmits: 2, TCPSpuriousRetransmits: &one}}))
	assert.Empty(t, spuriousClause(results.Result{Transport: "tcp", Path: &results.PathStats{TCPRetransmits: 3, TCPSpuriousRetransmits: &zero}}))
	assert.Empty(t, spuriousClause(results.Result{Transport: "tcp", Path: &results.PathStats{TCPRetransmits: 3}}), "not followed")
}

// A datagram flow's loss is the link's only as far as the link dropped
// packets its way: the clean path's quic-dgram lost 3,872 datagrams where
// the link dropped none.
func TestEndsLost(t *testing.T) {
	row := func(lost int64, up, down uint64, dir string) results.Result {
		return results.Result{Transport: "quic-dgram", Unit: "datagrams", Lost: lost, Direction: dir,
			Path: &results.PathStats{Up: link.Counters{Lost: up}, Down: link.Counters{QueueDrops: down}}}
	}
	assert.Equal(t, " (the link dropped none: they were lost at the ends)", endsLost(row(3872, 0, 900, "")))
	assert.Equal(t, " (the link dropped 12 packets its way: the rest were lost at the ends)", endsLost(row(30, 12, 0, "")))
	assert.Empty(t, endsLost(row(30, 30, 0, "")), "the link's drops account for it")
	assert.Empty(t, endsLost(row(30, 0, 30, results.DirectionDown)), "a download's, down")
	assert.Equal(t, " (the link dropped none: they were lost at the ends)", endsLost(row(30, 30, 0, results.DirectionDown)))
	noPath := row(30, 0, 0, "")
	noPath.Path = nil
	assert.Empty(t, endsLost(noPath), "nothing counted the link")
	bytes := row(30, 0, 0, "")
	bytes.Unit = "bytes"
	assert.Empty(t, endsLost(bytes))
}
