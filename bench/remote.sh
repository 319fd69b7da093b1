#!/usr/bin/env bash
# Remote benchmark: what the control channel and the gate cost, on
# loopback, with compare serve and compare -remote as two processes.
#
#   a. TCP bulk: compare -remote against compare serve, next to the same
#      bulk on -link loopback in one process. The control channel carries
#      no data, so the ratio should be about 1 (target: at least 0.9).
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
#   PIN=same ROUNDS=3 RTT_TIME=3 COUNT=50000 MSG=160 DURATION=5 PORT=17800
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

say() { echo "remote.sh: $*" >&2; }

missing=()
for tool in sockperf jq taskset ss; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		pkgs=()
		for tool in "${missing[@]}"; do
			case $tool in
			taskset) pkgs+=(util-linux) ;;
			ss) pkgs+=(iproute2) ;;
			*) pkgs+=("$tool") ;;
			esac
		done
		say "installing ${pkgs[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
	else
		say "missing ${missing[*]}: install them or run as root"
		exit 1
	fi
fi

# Every process started here is stopped by its pid.
work=$(mktemp -d)
pids=()
cleanup() {
	local pid
	for pid in ${pids[@]+"${pids[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
}
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=(${keep[@]+"${keep[@]}"})
}
wait_port() {
	local flag=-tln
	[ "$1" = udp ] && flag=-uln
	for _ in $(seq 100); do
		ss -H "$flag" "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	say "nothing came up on $1 port $2"
	exit 1
}
jrun() {
	local out
	if ! out=$("$@" 2>"$work/jrun.err"); then
		say "failed: $*"
		cat "$work/jrun.err" >&2
		exit 1
	fi
	printf '%s\n' "$out"
}

say "building cmd/compare"
go build -o "$work/compare" ./cmd/compare
compare=$work/compare
openssl_key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$openssl_key" >"$work/key"

cpus=($(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done))
first=${cpus[0]} last=${cpus[${#cpus[@]} - 1]}
case $PIN in
same) srv=(taskset -c "$last") cli=(taskset -c "$last") pinning="every latency process on CPU $last" ;;
split) srv=(taskset -c "$first") cli=(taskset -c "$last") pinning="servers on CPU $first, clients on CPU $last" ;;
none) srv=() cli=() pinning="no pinning" ;;
*) say "PIN=$PIN: want same, split or none"; exit 2 ;;
esac

record() {
	if ! [[ $2 =~ ^[0-9.e+-]+$ ]]; then
		say "no figure for $1 (got '$2'); logs in $work"
		exit 1
	fi
	echo "$2" >>"$work/r.$1"
}
median() { sort -g "$work/r.$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

sockperf_rtt() {
	local name=$1 port=$2 out try
	shift 2
	for try in 1 2; do
		out=$("${cli[@]}" sockperf ping-pong -i "$HOST" -p "$port" -t "$RTT_TIME" -m "$MSG" "$@" 2>&1) || true
		grep -q 'percentile 50.000 =' <<<"$out" && break
	done
	grep -q 'percentile 50.000 =' <<<"$out" || { say "sockperf $name printed no percentiles"; echo "$out" >&2; exit 1; }
	record "$name.p50" "$(awk '/percentile 50.000 =/ {print 2*$NF}' <<<"$out")"
	record "$name.p99" "$(awk '/percentile 99.000 =/ {print 2*$NF}' <<<"$out")"
}

for r in $(seq "$ROUNDS"); do
	say "round $r/$ROUNDS"
	# a. TCP bulk, local and remote.
	json=$(jrun "$compare" -link loopback -workload bulk -transports tcp -duration "${DURATION}s" -format json)
	record bulk.local "$(jq -r '.results[0].goodput_mbit_s' <<<"$json")"
	start "$work/serve.log" "$compare" serve -listen "$HOST:$OUR_PORT" -key "$work/key"
	wait_port tcp "$OUR_PORT"
	json=$(jrun "$compare" -remote "$HOST:$OUR_PORT" -key "$work/key" -workload bulk -transports tcp -duration "${DURATION}s" -format json)
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
	for t in udp tcp; do
		record "$t.remote.p50" "$(jq -r --arg t "$t" '.results[]|select(.transport==$t)|.latency_ms.p50*1000' <<<"$json")"
		record "$t.remote.p99" "$(jq -r --arg t "$t" '.results[]|select(.transport==$t)|.latency_ms.p99*1000' <<<"$json")"
	done
	stop "$pid"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo FAIL; }
f() { printf "%.$1f" "$(median "$2")"; }

echo
echo "compare -remote vs local and sockperf on loopback: $(uname -sr), $(nproc) CPUs; median of $ROUNDS rounds; latency: $pinning"
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
