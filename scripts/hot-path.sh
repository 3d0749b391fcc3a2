#!/usr/bin/env bash
# Regenerates scripts/hot-path.ld, the list of functions the `microsim` binary's
# linker places together at the start of its code (see build.rs).
#
# A simulation run executes about 90 KB of machine code: the run loop, the
# network, the sample services, the random generator, set-up and teardown. The
# linker scatters those functions over the binary's 3.9 MB of code, so the first
# run of a process touches some 60 code pages and takes a page fault for each
# 64 KB block of them. Grouped, they fit in about 25 pages.
#
# This script finds those functions by running the peers workloads (plain,
# traced, and many tiny runs) under callgrind, counting only what runs inside
# the timed run (`bench::pingpong`, never inlined, and the drop of its
# outcome), and writes one linker-script pattern per function, hottest first.
# Patterns drop the symbol's hash, so they survive rebuilds and compiler
# upgrades; `tests/it/hot_path.rs` fails when one of them no longer names a
# function, which is the cue to run this script again. Rerun it too after a
# change of the release profile (inlining decides which functions exist).
#
# Callgrind finds no line numbers in a binary with two code sections, so it
# profiles a build without the layout (MICROSIM_HOT_PATH=off); profile such a
# build too when you want callgrind's per-line figures.
#
# Needs valgrind. Run from the project root: scripts/hot-path.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "hot-path.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

# Without the current layout: the names are what matter, and a stale script
# must not stand in the way of the build that replaces it.
MICROSIM_HOT_PATH=off cargo build --release --locked --quiet --bin microsim
bin=$PWD/target/release/microsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# profile NAME ARGS...: callgrind over the timed part of `microsim bench peers ARGS`.
profile() {
    local name=$1
    shift
    valgrind --tool=callgrind --demangle=no \
        --toggle-collect='_ZN8microsim5bench8pingpong17h*' \
        --toggle-collect='_ZN4core3ptr*drop_in_place$LT$microsim..outcome..Outcome$GT$17h*' \
        --callgrind-out-file="$work/$name.out" "$bin" bench peers "$@" >/dev/null 2>"$work/$name.log"
}
profile plain 5000 0 50
profile traced 5000 0 50 trace
profile tiny 1 30 50

# functions OUT: the functions of the microsim binary with a cost in callgrind
# file OUT, costliest first. Callgrind names an object or function once, as
# "ob=(id) name" or "fn=(id) name" (or cob=/cfn= in a call), and by "(id)" after;
# the line after "calls=" is the cost of a call, not of the function.
functions() {
    awk -v bin="$bin" '
        match($0, /^c?(ob|fn)=\([0-9]+\)/) {
            kind = substr($0, RSTART + (substr($0, 1, 1) == "c"), 2)
            id = substr($0, RSTART, RLENGTH); sub(/^c?(ob|fn)=/, "", id)
            rest = substr($0, RLENGTH + 2)
            if (rest != "") { if (kind == "ob") ob_name[id] = rest; else fn_name[id] = rest }
            if (substr($0, 1, 1) != "c") { if (kind == "ob") ob = id; else fn = ob SUBSEP id }
            next
        }
        /^calls=/ { skip = 1; next }
        /^[a-z]+=/ { next }
        NF >= 2 && $1 ~ /^([-+]?[0-9]+|\*|0x[0-9a-f]+)$/ {
            if (skip) { skip = 0; next }
            cost[fn] += $2
        }
        END {
            for (k in cost) {
                split(k, p, SUBSEP)
                if (ob_name[p[1]] == bin && cost[k] > 0) print cost[k], fn_name[p[2]]
            }
        }' "$1" | sort -k1,1nr -k2 | cut -d' ' -f2
}

# pattern: a symbol without what changes from build to build (the legacy
# mangling's hash; the suffix LTO gives a local symbol, `.llvm.N` or `.N`; v0
# mangling's crate hashes).
pattern() {
    sed -E 's/17h[0-9a-f]{16}E(\.llvm)?(\.[0-9]+)?$/17h*/; s/(\.llvm)?\.[0-9]+$/*/; s/Cs[0-9A-Za-z]+_/Cs*_/g'
}

{
    functions "$work/plain.out"
    functions "$work/traced.out"
    functions "$work/tiny.out"
} | pattern | awk '!seen[$0]++' >"$work/patterns"

n=$(wc -l <"$work/patterns")
if ((n < 20)); then
    echo "hot-path.sh: only $n functions found; callgrind's logs are in $work" >&2
    trap - EXIT
    exit 1
fi

{
    echo "/* The simulation's hot path, placed first in the code of the microsim binary."
    echo "   Written by scripts/hot-path.sh: do not edit by hand; run it again when"
    echo "   tests/it/hot_path.rs says a pattern names no function. $n functions,"
    echo "   hottest first: the plain peers pingpong, then the traced one, then tiny"
    echo "   runs. Each pattern also takes the function where LLVM placed it as"
    echo "   rarely run (.text.unlikely.). */"
    echo "SECTIONS {"
    echo "  .text.microsim_hot : {"
    while read -r p; do
        echo "    *(.text.$p .text.unlikely.$p)"
    done <"$work/patterns"
    echo "  }"
    echo "} INSERT BEFORE .text;"
} >scripts/hot-path.ld
echo "scripts/hot-path.ld: $n functions"
