#!/usr/bin/env bash
# QUIC beside TCP on loopback: bulk goodput and echo round-trip time.
#
# 1. The comparison a user runs, cmd/compare on loopback with the bulk and
#    echo workloads, for TCP and QUIC (one stream; with the "quic" alias
#    also a stream per message): one table of goodput, one of round trips.
# 2. The quic package's own Go benchmarks: goodput of one stream with and
#    without quic-go's qlog tracing (the harness runs bulk untraced), and
#    the round trip of one 160-byte message in each shape.
#
# QUIC is user-space (quic-go, AES-GCM in Go, one goroutine per connection
# side) and TCP is the kernel's (TSO/GRO, no encryption), so on loopback,
# where the CPU is the bottleneck, expect TCP well ahead on bulk.
#
# Only loopback addresses are used. Tunables (environment):
#   ROUNDS=1 DURATION=5s COUNT=1000 BENCHTIME=3x (bulk runs of 256 MiB)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-5s}
COUNT=${COUNT:-1000}
BENCHTIME=${BENCHTIME:-3x}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/compare" ./cmd/compare

for i in $(seq "$ROUNDS"); do
	echo "== round $i of $ROUNDS: compare -link loopback -transports tcp,quic -workload bulk,echo -duration $DURATION -count $COUNT"
	# Progress goes to stderr; the tables, errors included, to stdout.
	"$bin/compare" -link loopback -transports tcp,quic -workload bulk,echo \
		-duration "$DURATION" -count "$COUNT" 2>/dev/null || echo "(compare exited $?)"
done

echo
echo "== go test -run - -bench Bulk -benchtime $BENCHTIME ./quic; -bench EchoRTT -benchtime 2s"
go test -run - -bench Bulk -benchtime "$BENCHTIME" ./quic | grep -E '^(Benchmark|FAIL)'
go test -run - -bench EchoRTT -benchtime 2s ./quic | grep -E '^(Benchmark|FAIL)'
