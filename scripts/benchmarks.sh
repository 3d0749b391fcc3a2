#!/usr/bin/env bash
# Regenerates BENCHMARKS.md (issue 11) in one command: builds the release binary,
# runs every benchmark and the peers script, and writes the report from their
# output. Nothing in the report is typed by hand: every figure is printed by a
# command, and every target's met/not met is computed here from those figures.
#
#   scripts/benchmarks.sh                     # the full report, into BENCHMARKS.md
#   RUNS=3 LIMIT=20000 OUT=/tmp/b.md scripts/benchmarks.sh
#
# Settings (environment): RUNS (peers runs, 15: a pingpong run takes about a
# millisecond, so the median of more runs is steadier), PEER_SETS (how many times
# the peers script runs, 5: its medians move from one invocation to the next,
# more when the machine is busy, so a speed target counts as met
# when the median over the sets meets it, and the report lists every set's
# figure and how many sets met it), NOISE_ROUNDS (rounds of the noise section,
# 40), BASE_SEEDS (bench bugs, 5), LIMIT
# (seeds per bug sweep, 100000), BUDGET_S (wall seconds per bug sweep, about, 12),
# JOBS (threads, 2), SCALE_MSGS (600000), SCALE_RUNS (20), SAGA_SEEDS (400), MEM_RUNS
# (100000), FIRST_RUNS (processes of bench first-run per mode, 7), REPEAT (checker, 3), PEERS (the peers script, ../shared/bench/peers/run.sh),
# CORPUS (../shared/conformance/porcupine), OUT (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

RUNS=${RUNS:-15}
PEER_SETS=${PEER_SETS:-5}
NOISE_ROUNDS=${NOISE_ROUNDS:-40}
BASE_SEEDS=${BASE_SEEDS:-5}
LIMIT=${LIMIT:-100000}
BUDGET_S=${BUDGET_S:-12}
JOBS=${JOBS:-2}
SCALE_MSGS=${SCALE_MSGS:-600000}
SCALE_RUNS=${SCALE_RUNS:-20}
SAGA_SEEDS=${SAGA_SEEDS:-400}
MEM_RUNS=${MEM_RUNS:-100000}
REPEAT=${REPEAT:-3}
FIRST_RUNS=${FIRST_RUNS:-7}
PEERS=${PEERS:-../shared/bench/peers/run.sh}
CORPUS=${CORPUS:-../shared/conformance/porcupine}
OUT=${OUT:-BENCHMARKS.md}

# The issue's targets.
MADSIM_UNTRACED=25 # at least this many times madsim's msgs/s and tiny runs/s, untraced
MADSIM_TRACED=15   # the same, traced
FLOOR=3            # within this factor of the floor, untraced
FLAT_KIB=1024      # "flat": resident memory grows by at most this much from the first checkpoint to the last

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The binary without its hot-path layout (build.rs), for the first-run section,
# then the binary itself (the second build only relinks).
echo "== MICROSIM_HOT_PATH=off cargo build --release" >&2
MICROSIM_HOT_PATH=off cargo build --release --quiet
cp target/release/microsim "$tmp/microsim-no-layout"
echo "== cargo build --release" >&2
cargo build --release --quiet
bin=target/release/microsim

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME COMMAND...: runs it (in the project's root), keeps its output in $tmp/NAME.
run() {
    local name=$1
    shift
    echo "== $*" >&2
    "$@" >"$tmp/$name" || {
        local rc=$?
        echo "ERROR: \`$*\` exited with $rc" >&2
        exit "$rc"
    }
}

# result FILE WORKLOAD KEY: a figure of a `RESULT WORKLOAD ...` line (the last one).
result() { sed -n "s/^RESULT $2 .*\b$3=\([^ ]*\).*/\1/p" "$tmp/$1" | tail -1; }

run bugs "$bin" bench bugs --base-seeds "$BASE_SEEDS" --limit "$LIMIT" --budget-s "$BUDGET_S" --jobs "$JOBS"
run scale "$bin" bench scale --msgs "$SCALE_MSGS" --runs "$SCALE_RUNS" --saga-seeds "$SAGA_SEEDS" --jobs "$JOBS"
run memory "$bin" bench memory --runs "$MEM_RUNS"
run checker "$bin" bench checker --corpus "$CORPUS" --repeat "$REPEAT" --per-file
for ((set = 1; set <= PEER_SETS; set++)); do
    echo "== SUBJECT=\"$root/$bin bench peers\" RUNS=$RUNS $PEERS (set $set of $PEER_SETS)" >&2
    SUBJECT="$root/$bin bench peers" RUNS=$RUNS "$PEERS" >"$tmp/peers$set"
done

# Noise: the same pingpong run of the floor, the subject and madsim, one fresh
# process each, round after round, to show how the machine's state moves each.
floor_bin=$(dirname "$PEERS")/target/release/floor
madsim_bin=$(dirname "$PEERS")/target/madsim/release/madsim-bench
noise_args="5000 0 50" # round trips per client, tiny runs, their round trips
echo "== noise: $NOISE_ROUNDS rounds of $floor_bin, $bin bench peers, $madsim_bin ($noise_args)" >&2
# pingpong_ns COMMAND...: the ns per message of its pingpong run. Its output
# goes to a file and is read afterwards: the processes of a pipeline would start
# while it runs, on a machine of two cores.
pingpong_ns() {
    "$@" >"$tmp/noise-run"
    awk -v wall="$(result noise-run pingpong wall_s)" -v msgs="$(result noise-run pingpong msgs)" \
        'BEGIN {printf "%.2f", wall * 1e9 / msgs}'
}
for ((round = 1; round <= NOISE_ROUNDS; round++)); do
    echo "$(pingpong_ns "$floor_bin" $noise_args) $(pingpong_ns "$bin" bench peers $noise_args)" \
        "$(pingpong_ns "$madsim_bin" $noise_args)" >>"$tmp/noise"
done

# The first run of a process against later ones, each process started right
# after a madsim run, as the peers script orders them (so caches are as cold).
first_args="5000 7" # round trips per client, runs per process
echo "== $bin bench first-run $first_args [trace] ($FIRST_RUNS processes each, after $madsim_bin)" >&2
for ((k = 1; k <= FIRST_RUNS; k++)); do
    for mode in plain trace; do
        for build in layout no-layout; do
            b=$bin
            [[ $build == no-layout ]] && b=$tmp/microsim-no-layout
            "$madsim_bin" 5000 1000 50 >/dev/null
            "$b" bench first-run $first_args $([[ $mode == trace ]] && echo trace || true) >>"$tmp/first-$mode-$build"
        done
    done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ratios NAME KEY: a figure of the peers script's `RATIO NAME ...` line, one per set.
ratios() {
    for ((set = 1; set <= PEER_SETS; set++)); do
        sed -n "s/^RATIO $1 .*\b$2=\([^ ]*\).*/\1/p" "$tmp/peers$set"
    done
}
# median: the median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
# peer_row LABEL NAME KEY OP BOUND: a target's table row over the sets: the
# median, every set's figure, and `met` if the median meets it, with how many
# sets met it.
peer_row() {
    local values mid
    values=$(ratios "$2" "$3" | tr '\n' ' ')
    mid=$(ratios "$2" "$3" | median)
    echo "$values" | awk -v label="$1" -v op="$4" -v b="$5" -v median="$mid" '{
        n = split($0, v, " "); k = 0; list = ""
        for (i = 1; i <= n; i++) {
            ok = (op == ">=") ? v[i] >= b : v[i] <= b; k += ok
            list = list (i > 1 ? ", " : "") v[i]
        }
        ok = (op == ">=") ? median >= b : median <= b
        verdict = ok ? sprintf("met (in %d of %d sets)", k, n) : sprintf("NOT MET (met in %d of %d sets)", k, n)
        printf "| %s | %.2f (sets: %s) | %s |\n", label, median, list, verdict
    }'
}
# met VALUE OP BOUND: `met` or `NOT MET`.
met() {
    awk -v v="$1" -v b="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? v >= b : v <= b; print ok ? "met" : "NOT MET"}'
}
# first_median MODE-BUILD KEY: the median over the first-run processes of a figure.
first_median() {
    sed -n "s/^RESULT first-run .*\b$2=\([^ ]*\).*/\1/p" "$tmp/first-$1" | median
}
# noise_column GROUP COLUMN: a column of the noise rounds of GROUP, one figure per
# line: `slow` rounds are those whose subject figure (column 2) is more than 15 %
# above its best, `quiet` the others; COLUMN 1 to 3 (floor, subject, madsim) or
# `ratio` (madsim / subject).
noise_column() {
    local best
    best=$(cut -d' ' -f2 "$tmp/noise" | sort -g | head -1)
    awk -v best="$best" -v group="$1" -v column="$2" '
        (($2 > 1.15 * best) ? "slow" : "quiet") == group {print (column == "ratio") ? $3 / $2 : $column}' "$tmp/noise"
}
# body FILE: the output without its RESULT, TARGET and RATIO lines.
body() { grep -v -E '^(RESULT|TARGET|RATIO) ' "$tmp/$1" || true; }

mem_first=$(grep '^RESULT memory ' "$tmp/memory" | head -1 | sed 's/.*rss_kib=\([0-9]*\).*/\1/')
mem_last=$(result memory memory rss_kib)
mem_growth=$((mem_last - mem_first))
dirty=$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (with uncommitted changes)')

{
    echo "# Benchmarks"
    echo
    echo "Generated by \`scripts/benchmarks.sh\` (issue 11); regenerate with that one command. Every figure"
    echo "below was printed by the command shown above it; the targets' verdicts are computed by the script."
    echo
    echo "## Machine and versions"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- commit: $(git rev-parse --short HEAD)$dirty on branch $(git rev-parse --abbrev-ref HEAD)"
    echo "- cores (nproc): $(nproc)"
    echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "- memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after"
    echo "  (the machine is shared with other builds: wall-clock figures are noisy)"
    echo "- $(rustc --version); $(cargo --version)"
    echo
    echo "## Targets"
    echo
    echo "Speed against the peers: the median over $PEER_SETS runs of the peers script (each the"
    echo "median of $RUNS runs), then each run's figure; met when the median meets the target, and"
    echo "how many of the runs met it (the section \"Noise\" shows how much a busy machine moves them)."
    echo
    echo "| target | measured | verdict |"
    echo "|---|---:|---|"
    for key in msgs_vs_madsim tiny_vs_madsim; do
        peer_row "untraced $key >= $MADSIM_UNTRACED" subject $key '>=' $MADSIM_UNTRACED
    done
    for key in msgs_vs_madsim tiny_vs_madsim; do
        peer_row "traced $key >= $MADSIM_TRACED" subj-tr $key '>=' $MADSIM_TRACED
    done
    for key in msgs_vs_floor tiny_vs_floor; do
        peer_row "untraced $key <= $FLOOR (slowdown)" subject $key '<=' $FLOOR
    done
    sed -n 's/^TARGET \([a-z0-9_]*\)=\(met\|NOT MET\) (\(.*\))$/| \1 | \3 | \2 |/p' "$tmp/bugs"
    echo "| memory flat over $MEM_RUNS runs (growth <= $FLAT_KIB KiB) | $mem_growth KiB |" \
        "$(met "$mem_growth" '<=' $FLAT_KIB) |"
    echo
    echo "## Peers"
    echo
    echo "\`SUBJECT=\"\$PWD/$bin bench peers\" RUNS=$RUNS $PEERS\` (plain and traced: \`subject\`, \`subj-tr\`),"
    echo "run $PEER_SETS times. The first run's output in full:"
    echo
    echo '```'
    cat "$tmp/peers1"
    echo '```'
    for ((set = 2; set <= PEER_SETS; set++)); do
        echo
        echo "Run $set of $PEER_SETS: per-unit medians and ratios"
        echo
        echo '```'
        sed -n '/^Per-unit cost/,/^$/p' "$tmp/peers$set"
        grep '^RATIO ' "$tmp/peers$set"
        echo '```'
    done
    echo
    echo "## Noise"
    echo
    echo "$NOISE_ROUNDS rounds, each the same pingpong run (\`$noise_args\`: 2 clients x ${noise_args%% *} round trips, no tiny"
    echo "runs) of \`$floor_bin\`, \`$bin bench peers\` and \`$madsim_bin\`, one fresh"
    echo "process each, in that order. The code and the inputs are the same in every round: what moves"
    echo "a figure from one round to the next is the machine (other work on it, or on the host under"
    echo "this virtual machine). A round counts as slow when the subject's figure is more than 15 %"
    echo "above its best round's. Medians per group (ns per message):"
    echo
    echo "| rounds | count | floor | subject | madsim | madsim / subject |"
    echo "|---|---:|---:|---:|---:|---:|"
    for group in quiet slow; do
        count=$(noise_column $group 1 | wc -l)
        if ((count == 0)); then
            echo "| $group | 0 | | | | |"
            continue
        fi
        printf '| %s | %d | %.1f | %.1f | %.0f | %.1f |\n' $group "$count" "$(noise_column $group 1 | median)" \
            "$(noise_column $group 2 | median)" "$(noise_column $group 3 | median)" "$(noise_column $group ratio | median)"
    done
    echo
    echo "Every round's madsim / subject, sorted:"
    echo
    awk '{printf "%.1f\n", $3 / $2}' "$tmp/noise" | sort -g | tr '\n' ' ' | sed 's/ $//; s/^/    /'
    echo
    echo
    echo "## The first run of a process"
    echo
    echo "The peers script times one pingpong run per process, the first. \`$bin bench first-run $first_args [trace]\`"
    echo "runs that pingpong run ${first_args#* } times in one process and prints each run's time and page faults;"
    echo "it ran in $FIRST_RUNS processes per mode, each right after a madsim run (\`$madsim_bin 5000 1000 50\`),"
    echo "as in the peers script. Medians over the processes: the first run's ns/msg, the later runs'"
    echo "(the median of runs 2 to ${first_args#* }, the lower middle one), the first run's extra time, and its page faults."
    echo "Each mode ran with the binary as built and with a build without its hot-path layout"
    echo "(\`MICROSIM_HOT_PATH=off cargo build --release\`: \`build.rs\`, \`scripts/hot-path.ld\`), in turn."
    echo
    echo "| mode | build | first run ns/msg | later runs ns/msg | first run's extra us | first run's page faults |"
    echo "|---|---|---:|---:|---:|---:|"
    for mode in plain trace; do
        for build in layout no-layout; do
            key="$mode-$build"
            echo "| $mode | $build | $(first_median "$key" first_ns_per_msg) | $(first_median "$key" later_ns_per_msg) |" \
                "$(first_median "$key" first_extra_us) | $(first_median "$key" first_page_faults) |"
        done
    done
    echo
    echo "The first process's output, per mode (the binary as built):"
    echo
    echo '```'
    for mode in plain trace; do
        sed -n '1,/^RESULT first-run/p' "$tmp/first-$mode-layout"
    done
    echo '```'
    echo
    echo "## Bug-finding power"
    echo
    echo "\`$bin bench bugs --base-seeds $BASE_SEEDS --limit $LIMIT --budget-s $BUDGET_S --jobs $JOBS\`"
    echo
    body bugs
    grep '^TARGET ' "$tmp/bugs" | sed 's/^/    /'
    echo
    echo "## Scale"
    echo
    echo "\`$bin bench scale --msgs $SCALE_MSGS --runs $SCALE_RUNS --saga-seeds $SAGA_SEEDS --jobs $JOBS\`"
    echo
    body scale
    grep '^RESULT saga ' "$tmp/scale" | sed 's/^/    /'
    echo
    echo "## Memory"
    echo
    echo "\`$bin bench memory --runs $MEM_RUNS\`"
    echo
    body memory
    echo
    echo "## Checker"
    echo
    echo "\`$bin bench checker --corpus $CORPUS --repeat $REPEAT --per-file\`"
    echo "(ratio: microsim / Porcupine; below 1 is faster)"
    echo
    body checker
} >"$OUT"
echo "== wrote $OUT" >&2
