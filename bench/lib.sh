# Shared by the benchmark scripts: sourced after they set NAME (for
# messages), PIN and TOOLS (what they need besides go). It installs what
# is missing (as root, with apt-get), keeps every process it starts by
# pid and stops each at exit, and lays out the CPUs by PIN.

say() { echo "$NAME: $*" >&2; }

# --- peers -------------------------------------------------------------
missing=()
for tool in $TOOLS jq taskset ss; do
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
		say "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
		exit 1
	fi
fi
command -v go >/dev/null || { say "go is needed"; exit 1; }

# --- processes: every one started here is stopped by its pid ------------
work=$(mktemp -d)
pids=()
cleanup_procs() {
	local pid
	for pid in ${pids[@]+"${pids[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}
cleanup() {
	cleanup_procs
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start LOG CMD...: runs CMD in the background; its pid is in $pid.
start() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
}

# stop PID: ends one process started by start.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=(${keep[@]+"${keep[@]}"})
}

# wait_port PROTO PORT: until something listens there (TCP) or is bound
# (UDP).
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

# jrun CMD...: runs CMD and prints its standard output (JSON); if it
# fails, what it printed goes to stderr and the run ends.
jrun() {
	local out
	if ! out=$("$@" 2>"$work/jrun.err"); then
		say "failed: $*"
		cat "$work/jrun.err" >&2
		head -c 2000 <<<"$out" >&2
		exit 1
	fi
	printf '%s\n' "$out"
}

# --- pinning -------------------------------------------------------------
cpus=($(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done))
first=${cpus[0]} last=${cpus[${#cpus[@]} - 1]}
case $PIN in
same)
	srv=(taskset -c "$last") cli=(taskset -c "$last") both=(taskset -c "$last")
	pinning="every latency process on CPU $last"
	;;
split)
	if [ "$first" = "$last" ]; then say "PIN=split needs two CPUs"; exit 1; fi
	srv=(taskset -c "$first") cli=(taskset -c "$last") both=(taskset -c "$first,$last")
	pinning="servers on CPU $first, clients on CPU $last, our one-process run on both"
	;;
none)
	srv=() cli=() both=()
	pinning="no pinning"
	;;
*)
	say "PIN=$PIN: want same, split or none"
	exit 2
	;;
esac

# Results: one file per figure, one value per round; median() reads it.
# A figure a tool did not print is an error, not a blank in the table.
record() {
	if ! [[ $2 =~ ^[0-9.e+-]+$ ]]; then
		say "no figure for $1 (got '$2'); logs in $work"
		trap - EXIT
		cleanup_procs
		exit 1
	fi
	echo "$2" >>"$work/r.$1"
}
median() {
	[ -s "$work/r.$1" ] || { echo nan; return; }
	sort -g "$work/r.$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

# sockperf_rtt NAME PORT [--tcp]: sockperf's client against a server on
# PORT; records RTT p50 and p99 (sockperf's half round trip, doubled).
sockperf_rtt() {
	local name=$1 port=$2
	shift 2
	local out try
	# On a busy machine a run can end with no valid observation (sockperf
	# drops its warm-up): one more try before giving up.
	for try in 1 2; do
		out=$("${cli[@]}" sockperf ping-pong -i "$HOST" -p "$port" -t "$RTT_TIME" -m "$MSG" "$@" 2>&1) || true
		grep -q 'percentile 50.000 =' <<<"$out" && break
	done
	if ! grep -q 'percentile 50.000 =' <<<"$out"; then
		say "sockperf $name printed no percentiles:"
		echo "$out" >&2
		exit 1
	fi
	record "$name.p50" "$(awk '/percentile 50.000 =/ {print 2*$NF}' <<<"$out")"
	record "$name.p99" "$(awk '/percentile 99.000 =/ {print 2*$NF}' <<<"$out")"
}

# our_rtt NAME JSON: records RTT p50 and p99 (µs) of each transport in a
# compare -format json record, as t.NAME.p50 and t.NAME.p99.
our_rtt() {
	local name=$1 json=$2 t
	for t in tcp udp; do
		record "$t.$name.p50" "$(jq -r --arg t "$t" '.results[]|select(.transport==$t)|.latency_ms.p50*1000' <<<"$json")"
		record "$t.$name.p99" "$(jq -r --arg t "$t" '.results[]|select(.transport==$t)|.latency_ms.p99*1000' <<<"$json")"
	done
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
# f DIGITS FIGURE: the median of FIGURE, rounded.
f() { printf "%.$1f" "$(median "$2")"; }
# verdict EXPR: PASS if the awk condition holds.
verdict() { [[ $1 != *nan* ]] && awk "BEGIN { exit !($1) }" && echo PASS || echo FAIL; }
