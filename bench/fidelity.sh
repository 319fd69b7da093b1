#!/usr/bin/env bash
# The fidelity grid: the emulated path's TCP against Linux's own (the
# kernel path) against the Mathis et al. and Padhye et al. models, over
# the same seeded links. It writes docs/fidelity.md.
#
#   loss 0.5, 2, 5, 10, 15%  x  round trip 20 and 100 ms  x  reno and cubic
#   bulk goodput, echo p99 round trip, stream p99 one-way delay, TCP only
#   (UDP meets the very same link on both paths), SEEDS seeds each.
#
# The kernel path needs root (or a user namespace and a TUN device the
# user may open: see docs/kernel-path.md); without it the grid has the
# emulated path and the models only, and says so. Run it on a quiet
# machine: a busy one shows in the relay's lateness, which the report
# prints beside the figures. About 25 minutes with both paths.
#
# Tunables (environment): SEEDS=2 DURATION=8s COUNT=100 OUT=docs/fidelity.md
# RECORDS=FILE also keeps the grid's records (compare -format json), which
# compare -replay FILE -save turns into a saved run under results/.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=${SEEDS:-2}
DURATION=${DURATION:-8s}
COUNT=${COUNT:-100}
OUT=${OUT:-docs/fidelity.md}
RECORDS=${RECORDS:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/compare" ./cmd/compare

paths=emulated
if "$work/compare" -link kernel -workload echo -transports tcp -count 1 >/dev/null 2>&1; then
	paths="emulated kernel"
else
	echo "fidelity: no kernel path here (needs root, or a user namespace and a TUN device); the grid has the emulated path only" >&2
fi

for path in $paths; do
	for cc in reno cubic; do
		for delay in 10ms 50ms; do
			for seed in $(seq "$SEEDS"); do
				echo "fidelity: -link $path -cc $cc -delay $delay -seed $seed" >&2
				"$work/compare" -link "$path" -cc "$cc" -delay "$delay" -seed "$seed" \
					-sweep loss=0.5,2,5,10,15% -transports tcp -workload echo,stream,bulk \
					-count "$COUNT" -interval 20ms -duration "$DURATION" -format json \
					>>"$work/grid.jsonl" 2>/dev/null || true
			done
		done
	done
done

(cd bench && go run ./fidelity -command "SEEDS=$SEEDS DURATION=$DURATION COUNT=$COUNT bench/fidelity.sh" <"$work/grid.jsonl") >"$OUT"
echo "fidelity: wrote $OUT" >&2
if [ -n "$RECORDS" ]; then
	cp "$work/grid.jsonl" "$RECORDS"
	echo "fidelity: the records are in $RECORDS" >&2
fi
