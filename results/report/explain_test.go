package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
