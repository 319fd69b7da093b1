package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTransports(t *testing.T) {
	got, err := ParseTransports(DefaultTransports)
	require.NoError(t, err)
	assert.Equal(t, []string{"tcp", "udp", "quic", "quic-permsg", "quic-dgram"}, got, "the default names every row")
	got, err = ParseTransports("quic-dgram, quic")
	require.NoError(t, err)
	assert.Equal(t, []string{"quic", "quic-permsg", "quic-dgram"}, got)
	got, err = ParseTransports("quic-permsg")
	require.NoError(t, err)
	assert.Equal(t, []string{"quic-permsg"}, got)
	_, err = ParseTransports("tcp,quick")
	assert.ErrorContains(t, err, `unknown transport "quick"`)
}

func TestParseWorkloads(t *testing.T) {
	got, err := ParseWorkloads("http, echo,echo")
	require.NoError(t, err)
	assert.Equal(t, []string{Echo, HTTP}, got, "in the order they run, once each")
	_, err = ParseWorkloads(" , ")
	assert.ErrorContains(t, err, "no workload given")
}

// Every workload a transport claims exists, every workload has a
// transport, and the shapes are coherent: a byte stream is ordered.
func TestCatalogIsCoherent(t *testing.T) {
	for _, tr := range Transports() {
		for _, w := range tr.Workloads {
			_, ok := LookupWorkload(w)
			assert.True(t, ok, "%s runs unknown workload %q", tr.Name, w)
		}
		if tr.ByteStream {
			assert.True(t, tr.Ordered, "%s: a byte stream hands bytes over in order", tr.Name)
		}
	}
	for _, w := range WorkloadNames() {
		var n int
		for _, tr := range TransportNames() {
			if Runs(tr, w) {
				n++
			}
		}
		assert.Positive(t, n, "no transport runs %s", w)
	}
	assert.True(t, Runs(TCP, HTTP))
	assert.False(t, Runs(UDP, HTTP))
	assert.False(t, Runs(QUICPerMsg, Bulk))
	assert.False(t, Runs("sctp", Echo))
	assert.Equal(t, len(TransportNames()), TransportIndex("sctp"), "unknown names sort last")
}
