# shellcheck shell=bash
# tools/bench/limit.sh: the C limit program (tools/bench/limit/limit.c): built with gcc -O2, run on
# the main file, its totals.csv checked byte for byte against the ground truth before its time counts.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# build_limit: compiles limit.c into SCRATCH/bin/limit (sets LIMIT_BIN; empty when gcc is missing).
build_limit() {
    LIMIT_BIN=""
    if ! command -v gcc >/dev/null; then
        say "gcc not found: the C limit program is skipped (apt-get install gcc)"
        return
    fi
    mkdir -p "$SCRATCH/bin"
    gcc -O2 -pthread -o "$SCRATCH/bin/limit" "$BENCH_DIR/limit/limit.c" 2>"$LOGS/limit-build.log" ||
        { cat "$LOGS/limit-build.log" >&2; die "gcc -O2 tools/bench/limit/limit.c failed"; }
    LIMIT_BIN="$SCRATCH/bin/limit"
    say "built the C limit program: gcc -O2 $BENCH_DIR/limit/limit.c -> $LIMIT_BIN"
}

# limit_best SECTION FILE GEN_DIR THREADS: RUNS timed runs of the C program, each checked against
# the ground truth; prints the best wall time (empty when a run failed or differed).
limit_best() {
    local section=$1 file=$2 gen=$3 threads=$4 walls=() i
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$OUT/limit-totals.csv"
        mkdir -p "$OUT"
        measure "$LOGS/limit-$section-t$threads-$i.json" --stderr "$LOGS/limit-$section-t$threads-$i.stderr" -- \
            "$LIMIT_BIN" "$file" "$OUT/limit-totals.csv" "$threads"
        check_run "$section" "$LOGS/limit-$section-t$threads-$i.json" "$LOGS/limit-$section-t$threads-$i.stderr" "the C limit program" || return
        if ! cmp -s "$OUT/limit-totals.csv" "$gen/expected/totals.csv"; then
            fail "$section" "the C limit program's totals.csv differs from the ground truth (run $i, $threads threads)"
            return
        fi
        walls+=("$(json "$LOGS/limit-$section-t$threads-$i.json" wall_s)")
    done
    local best
    read -r best _ < <(best_median "${walls[@]}")
    echo "$best"
}
