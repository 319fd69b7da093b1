#!/usr/bin/env bash
# HTTP benchmark: netmatrix's httpserve against a net/http and a fasthttp
# hello server, all answering GET /hello with the same 13-byte text/plain
# body, in one run.
#
# 1. Throughput: wrk, one thread, keep-alive, against each server in turn.
#    On a machine with two or more CPUs the server is pinned to CPU 0 and
#    wrk to CPU 1 (taskset), and every server runs with GOMAXPROCS=1, so
#    each gets the same single core and wrk never competes with it.
# 2. Memory: 10,000 concurrent keep-alive connections (one request each,
#    then idle) held against httpserve and net/http; the growth of the
#    server's resident memory divided by the connections held.
#
# The machine may be busy with other work, which only ever lowers a
# server's requests/s; so the runs are interleaved across the servers and
# the table shows the best of ROUNDS rounds (each round is listed too).
# Next to it is the server's CPU time per request (user + system, from
# /proc), which other load disturbs far less. A second table repeats the run with 16
# pipelined requests per connection (wrk -s pipeline.lua), where the
# server's own cost per request, not the syscalls, decides.
#
# Only loopback addresses are used. Tunables (environment):
#   DURATION=10s ROUNDS=3 CONNS=64 DEPTH=16 HOLD=10000 PORT=18080
set -euo pipefail
cd "$(dirname "$0")"

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
DEPTH=${DEPTH:-16}
CONNS=${CONNS:-64}
HOLD=${HOLD:-10000}
PORT=${PORT:-18080}
ADDR=127.0.0.1:$PORT
URL=http://$ADDR/hello

for tool in wrk go curl; do
	command -v "$tool" >/dev/null || { echo "http.sh: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done

bin=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$bin"
}
trap cleanup EXIT

echo "building..." >&2
(cd .. && go build -o "$bin/httpserve" ./cmd/httpserve)
go build -o "$bin/nethttp" ./nethttp
go build -o "$bin/fasthttp" ./fasthttp
go build -o "$bin/conns" ./conns

server_cpu=() wrk_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0) wrk_cpu=(taskset -c 1)
	pinning="server on CPU 0, wrk on CPU 1"
else
	pinning="no pinning"
fi

# Each server's command line; httpserve without its access log, as the
# peers log nothing either.
declare -A cmd=(
	[httpserve]="$bin/httpserve -addr $ADDR -log=false"
	[net/http]="$bin/nethttp -addr $ADDR"
	[fasthttp]="$bin/fasthttp -addr $ADDR"
)
order=(httpserve net/http fasthttp)

start() { # name -> sets $pid
	GOMAXPROCS=1 "${server_cpu[@]}" ${cmd[$1]} >/dev/null 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		curl -s -o /dev/null "$URL" && return 0
		sleep 0.05
	done
	echo "http.sh: $1 did not start" >&2
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

best() { tr ' ' '\n' | grep . | sort -g | tail -1; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_wrk name array cpuarray args...: one wrk run, its requests/s and the
# server's CPU microseconds per request appended to the named arrays.
run_wrk() {
	local -n r=$2 u=$3
	shift 3
	local t0 out n
	t0=$(cpu_ticks "$pid")
	out=$("${wrk_cpu[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" "$@" "$URL")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	r[$name]+=" $(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
	u[$name]+=" $(awk -v d="$(($(cpu_ticks "$pid") - t0))" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d/hz*1e6/n}')"
	if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
		echo "http.sh: $name had errors:" >&2
		grep "Non-2xx\|Socket errors" <<<"$out" >&2
	fi
}

declare -A rps cpu body prps pcpu
for round in $(seq "$ROUNDS"); do
	# Rotate the order each round.
	rot=("${order[@]:$((round % 3))}" "${order[@]:0:$((round % 3))}")
	for name in "${rot[@]}"; do
		start "$name"
		body[$name]=$(curl -s "$URL")
		"${wrk_cpu[@]}" wrk -t1 -c"$CONNS" -d1s "$URL" >/dev/null # warm up
		run_wrk "$name" rps cpu
		DEPTH=$DEPTH run_wrk "$name" prps pcpu -s pipeline.lua
		stop
	done
done
for name in "${order[@]}"; do
	if [ "${body[$name]}" != "Hello, World!" ]; then
		echo "http.sh: $name answered '${body[$name]}', not the common body" >&2
		exit 1
	fi
done

table() { # title, requests/s array, CPU array
	local -n runs=$2 cpus=$3
	declare -A top
	for name in "${order[@]}"; do top[$name]=$(best <<<"${runs[$name]}"); done
	echo
	echo "$1"
	printf '%-10s %12s %12s %12s %14s   %s\n' server "requests/s" "vs net/http" "vs fasthttp" "CPU us/req" "each round"
	for name in "${order[@]}"; do
		printf '%-10s %12.0f %11.2fx %11.2fx %14s   %s\n' "$name" "${top[$name]}" \
			"$(awk -v a="${top[$name]}" -v b="${top[net/http]}" 'BEGIN {print a/b}')" \
			"$(awk -v a="${top[$name]}" -v b="${top[fasthttp]}" 'BEGIN {print a/b}')" \
			"$(median <<<"${cpus[$name]}")" "${runs[$name]}"
	done
}
echo
echo "GOMAXPROCS=1 for every server, $pinning, $(nproc) CPUs"
echo "requests/s: best of $ROUNDS interleaved rounds; CPU us/req: server user+system time per request, median"
table "wrk -t1 -c$CONNS -d$DURATION, keep-alive, one request at a time per connection" rps cpu
table "the same with $DEPTH pipelined requests per connection" prps pcpu

# Memory per connection at $HOLD concurrent keep-alive connections.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((HOLD + 1000)) ]; then
	echo "http.sh: ulimit -n is $(ulimit -n), too low for $HOLD connections; run as root or raise it" >&2
	exit 1
fi
echo
echo "$HOLD concurrent keep-alive connections, one GET each, then idle"
printf '%-10s %8s %14s %14s %12s\n' server held "RSS before" "RSS holding" "per conn"
for name in httpserve net/http; do
	start "$name"
	before=$(rss_kib "$pid")
	coproc holder { "$bin/conns" -addr "$ADDR" -n "$HOLD"; }
	read -r _ held <&"${holder[0]}"
	sleep 2 # let the server settle (idle buffers back to pools, a GC)
	during=$(rss_kib "$pid")
	echo >&"${holder[1]}"
	read -r _ alive <&"${holder[0]}"
	wait "$holder_PID" 2>/dev/null || true
	printf '%-10s %8s %11d KiB %11d KiB %8.1f KiB\n' "$name" "$held" "$before" "$during" \
		"$(awk -v a="$during" -v b="$before" -v n="$held" 'BEGIN {print (a-b)/n}')"
	if [ "$alive" != "$held" ]; then
		echo "http.sh: $name kept only $alive of $held connections alive" >&2
	fi
	stop
done
