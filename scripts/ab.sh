#!/usr/bin/env bash
# Interleaved A/B of two or more microsim binaries on the peers workloads
# (`bench peers 5000 1000 50`, plain and traced): the way this project measures
# a change before keeping it. Runs are round-robin (A B A B ...), so drift of
# the machine hits every binary alike; medians are printed per binary.
#
#   cp target/release/microsim /tmp/before     # then make the change, rebuild
#   scripts/ab.sh /tmp/before target/release/microsim
#   N=31 COLD=1 scripts/ab.sh /tmp/before target/release/microsim
#
# Settings (environment): N (runs of each binary and mode, 21); COLD=1 runs
# the turmoil and madsim peers before every run, as the peers script does, so
# that caches are as cold as there (the first run of a process pays for that:
# code fetched and faulted in; see BENCHMARKS.md); PEERS_TARGET (the peers'
# build folder, ../shared/bench/peers/target).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 ]]; then
    echo "usage: scripts/ab.sh BINARY BINARY [BINARY ...] (two microsim binaries at least)" >&2
    exit 2
fi
for bin in "$@"; do
    if [[ ! -x $bin ]]; then
        echo "scripts/ab.sh: $bin is not an executable file" >&2
        exit 2
    fi
done
N=${N:-21}
COLD=${COLD:-}
PEERS_TARGET=${PEERS_TARGET:-../shared/bench/peers/target}
if [[ -n $COLD ]]; then
    for peer in release/turmoil-bench madsim/release/madsim-bench; do
        if [[ ! -x $PEERS_TARGET/$peer ]]; then
            echo "scripts/ab.sh: COLD=1 needs $PEERS_TARGET/$peer (run ../shared/bench/peers/run.sh once to build it)" >&2
            exit 2
        fi
    done
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((i = 1; i <= N; i++)); do
    for ((b = 1; b <= $#; b++)); do
        for mode in plain trace; do
            if [[ -n $COLD ]]; then
                "$PEERS_TARGET/release/turmoil-bench" 5000 1000 50 >/dev/null
                "$PEERS_TARGET/madsim/release/madsim-bench" 5000 1000 50 >/dev/null
            fi
            arg=$([[ $mode == trace ]] && echo trace || true)
            "${!b}" bench peers 5000 1000 50 $arg >>"$out/$b.$mode"
        done
    done
done

# median FILE WORKLOAD KEY SCALE: the median of 1/KEY*SCALE over the workload's lines.
median() {
    sed -n "s/^RESULT $2 .*\b$3=\([^ ]*\).*/\1/p" "$1" | awk -v s="$4" '{print s / $1}' | sort -g |
        awk '{a[NR] = $1} END {printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
echo "medians of $N runs each$([[ -n $COLD ]] && echo ', cold (peers run before each)')"
printf '%-40s %12s %12s %12s %12s\n' binary "ns/msg" "us/tiny" "traced ns" "traced us"
for ((b = 1; b <= $#; b++)); do
    printf '%-40s %12s %12s %12s %12s\n' "${!b}" \
        "$(median "$out/$b.plain" pingpong msgs_per_s 1e9)" "$(median "$out/$b.plain" tiny sims_per_s 1e6)" \
        "$(median "$out/$b.trace" pingpong msgs_per_s 1e9)" "$(median "$out/$b.trace" tiny sims_per_s 1e6)"
done
