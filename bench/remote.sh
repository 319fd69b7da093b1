#!/usr/bin/env bash
# Remote benchmark: what the control channel and the gate cost, on
# loopback, with compare serve and compare -remote as two processes.
#
#   a. TCP bulk: compare -remote against compare serve, next to the same
#      bulk on -link loopback in one process. The control channel carries
#      no data, so the ratio should be about 1 (target: at least 0.9).
#      Not pinned, unless BULK_PIN=split (see below).
#   b. Echo round trip, MSG-byte messages, one in flight: compare -remote
#      (echo server half behind the session's gate) next to sockperf's
#      client and server, two processes (target: p50 within 1.3x).
#      sockperf reports half the round trip; its figures are doubled, so
#      every figure is a full round trip in microseconds.
#
# Pinning (PIN), as bench/transports.sh: same (default) puts every process
# of a latency run on one CPU; split puts servers on the first, clients on
# the last; none pins nothing. Bulk runs are not pinned. Every figure is
# the median of ROUNDS rounds, interleaved.
#
# sockperf and jq are installed with apt-get when missing (as root). Only
# loopback is used. Tunables (environment):
#   PIN=same BULK_PIN=none ROUNDS=3 RTT_TIME=3 COUNT=50000 MSG=160 DURATION=5 PORT=17800
set -euo pipefail
cd "$(dirname "$0")/.."

PIN=${PIN:-same}
ROUNDS=${ROUNDS:-3}
RTT_TIME=${RTT_TIME:-3}
COUNT=${COUNT:-50000}
MSG=${MSG:-160}
DURATION=${DURATION:-5}
PORT=${PORT:-17800}
HOST=127.0.0.1
SP_PORT=$PORT OUR_PORT=$((PORT + 2))

NAME=remote.sh TOOLS=sockperf
# shellcheck source=lib.sh
. bench/lib.sh

say "building cmd/compare"
go build -o "$work/compare" ./cmd/compare
compare=$work/compare
# A random key, as serve would make one.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/key"

# Bulk runs are not pinned by default: one process spreads sender and
# sink over the CPUs, two processes are left to the scheduler. On a small
# shared VM a neighbour's load on one CPU shows up more in two processes
# than in one: BULK_PIN=split gives the remote server the first CPU and
# its client the last (the one-process run both), to see the two layouts
# with a CPU each per end.
bulk_both=() bulk_srv=() bulk_cli=()
if [ "${BULK_PIN:-none}" = split ] && [ "$first" != "$last" ]; then
	bulk_both=(taskset -c "$first,$last") bulk_srv=(taskset -c "$first") bulk_cli=(taskset -c "$last")
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	say "round $r/$ROUNDS"
	# a. TCP bulk, local and remote.
	json=$(jrun "${bulk_both[@]}" "$compare" -link loopback -workload bulk -transports tcp -duration "${DURATION}s" -format json)
	record bulk.local "$(jq -r '.results[0].goodput_mbit_s' <<<"$json")"
	start "$work/serve.log" "${bulk_srv[@]}" "$compare" serve -listen "$HOST:$OUR_PORT" -key "$work/key"
	wait_port tcp "$OUR_PORT"
	json=$(jrun "${bulk_cli[@]}" "$compare" -remote "$HOST:$OUR_PORT" -key "$work/key" -workload bulk -transports tcp -duration "${DURATION}s" -format json)
	record bulk.remote "$(jq -r '.results[0].goodput_mbit_s' <<<"$json")"
	stop "$pid"

	# b. Echo round trip: sockperf, two processes; ours over -remote.
	for t in udp tcp; do
		flag=()
		[ "$t" = tcp ] && flag=(--tcp)
		start "$work/sockperf.log" "${srv[@]}" sockperf server -i "$HOST" -p "$SP_PORT" ${flag[@]+"${flag[@]}"}
		wait_port "$t" "$SP_PORT"
		sockperf_rtt "$t.sockperf" "$SP_PORT" ${flag[@]+"${flag[@]}"}
		stop "$pid"
	done
	start "$work/serve.log" "${srv[@]}" "$compare" serve -listen "$HOST:$OUR_PORT" -key "$work/key"
	wait_port tcp "$OUR_PORT"
	json=$(jrun "${cli[@]}" "$compare" -remote "$HOST:$OUR_PORT" -key "$work/key" -workload echo -transports tcp,udp \
		-count "$COUNT" -size "$MSG" -format json)
	our_rtt remote "$json"
	stop "$pid"
done


echo
echo "compare -remote vs local and sockperf on loopback: $(uname -sr), $(nproc) CPUs; median of $ROUNDS rounds; latency: $pinning; bulk: ${BULK_PIN:-none}"
echo "load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo
bl=$(median bulk.local) br=$(median bulk.remote)
printf '  %-46s %10s\n' "TCP bulk, ${DURATION}s (Mbit/s)" ""
printf '  %-46s %10s\n' "-link loopback, one process" "$(f 0 bulk.local)"
printf '  %-46s %10s\n' "-remote to compare serve, two processes" "$(f 0 bulk.remote)"
printf '  %-46s %10s  %s\n' "remote / local (target >= 0.9)" "$(ratio "$br" "$bl")" "$(verdict "$br >= 0.9 * $bl")"
echo
printf '  %-4s %-41s %10s %10s\n' "" "Echo round trip, $MSG bytes (µs)" p50 p99
for t in udp tcp; do
	sp=$(median "$t.sockperf.p50") re=$(median "$t.remote.p50")
	printf '  %-4s %-41s %10s %10s\n' "$t" "sockperf -> sockperf" "$(f 1 "$t.sockperf.p50")" "$(f 1 "$t.sockperf.p99")"
	printf '  %-4s %-41s %10s %10s\n' "$t" "compare -remote -> compare serve" "$(f 1 "$t.remote.p50")" "$(f 1 "$t.remote.p99")"
	printf '  %-4s %-41s %10s  %s\n' "$t" "remote / sockperf, p50 (target <= 1.3)" "$(ratio "$re" "$sp")" "$(verdict "$re <= 1.3 * $sp")"
done
