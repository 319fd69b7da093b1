package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netmatrix/internal/testutil"
)

// sockperf's own client measures our servers in -sockperf mode.
func TestSockperfClientAgainstServe(t *testing.T) {
	sockperf := testutil.NeedTool(t, "sockperf")
	ctx, cancel := context.WithCancel(t.Context())
	// A ping-pong at full speed from one source: as bench/transports.sh
	// does, lift the UDP echo's rate limit.
	port, done := startServe(t, ctx, "-sockperf", "-rate-limit", "0")
	defer func() {
		cancel()
		<-done
	}()

	received := regexp.MustCompile(`SentMessages=(\d+); ReceivedMessages=(\d+)`)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			args := []string{"ping-pong", "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1"}
			if proto == "tcp" {
				args = append(args, "--tcp")
			}
			out, err := testutil.Run(t, 20*time.Second, nil, sockperf, args...)
			require.NoError(t, err)
			m := received.FindStringSubmatch(string(out))
			require.NotNil(t, m, "sockperf printed no summary:\n%s", out)
			sent, _ := strconv.Atoi(m[1])
			got, _ := strconv.Atoi(m[2])
			assert.Greater(t, got, 100, "sockperf got answers")
			// The run ends with one ping possibly still in flight.
			assert.LessOrEqual(t, sent-got, 1, "every ping answered")
			assert.Contains(t, string(out), "# dropped messages = 0")
		})
	}
}
