#!/usr/bin/env bash
# tools/bench/run.sh: wall time, scaling, memory and allocations of `settle aggregate`, with DuckDB
# as the baseline on the same file. See tools/bench/README.md for what each section measures.
#
#   tools/bench/run.sh [options] [all | duckdb | scaling | memory | alloc | clean]...
#
# Every figure comes from this run: the binary is built (or taken from SETTLE_BIN), the files are
# generated with a fixed seed, and each output is checked against the generator's ground truth.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)

# ---- settings: environment variables, overridden by the flags below ---------------------------
RECORDS=${RECORDS:-10000000}            # detail records of the main file (duckdb, scaling)
MERCHANTS=${MERCHANTS:-100000}          # merchants of the main file
SEED=${SEED:-20240601}                  # generator seed of every file
SCRATCH=${SCRATCH:-/tmp/settle-bench}   # generated files, outputs, venv, logs
RUNS=${RUNS:-3}                         # timed runs per measurement (best and median reported)
WORKERS=${WORKERS:-$(nproc)}            # settle --workers and DuckDB threads (duckdb and memory sections)
SKIP_DUCKDB=${SKIP_DUCKDB:-0}           # 1: no DuckDB install and no DuckDB runs
SCALING_WORKERS=${SCALING_WORKERS:-"1 2"}
MEM_RECORDS=${MEM_RECORDS:-5000000}     # memory section file
MEM_MERCHANTS=${MEM_MERCHANTS:-1000000}
MEM_BUDGET=${MEM_BUDGET:-64MB}          # settle --memory
MEM_ALLOWANCE_MIB=${MEM_ALLOWANCE_MIB:-64}  # bound on peak anonymous = budget + this
MEM_SAMPLE_MS=${MEM_SAMPLE_MS:-5}       # outside RssAnon sampling period
ALLOC_RECORDS=${ALLOC_RECORDS:-"100000 1000000 4000000"}
ALLOC_MERCHANTS=${ALLOC_MERCHANTS:-10000}
ALLOC_WORKERS=${ALLOC_WORKERS:-2}
ALLOC_PER_RECORD_LIMIT=${ALLOC_PER_RECORD_LIMIT:-0.01}  # fitted allocations per record still called flat
RUN_TIMEOUT=${RUN_TIMEOUT:-600}         # seconds before one settle or DuckDB run counts as hung
KEEP_DATA=${KEEP_DATA:-0}               # 1: keep generated files and outputs for the next run
SETTLE_BIN=${SETTLE_BIN:-}              # use this binary instead of building one

usage() {
    cat <<EOF
usage: tools/bench/run.sh [options] [section...]

sections (default: all):
  duckdb    settle aggregate vs DuckDB on the main file: cat floor, best/median wall, records/s,
            peak RSS, totals checked against the ground truth, DuckDB/settle ratio
  scaling   map-phase records/s with --workers 1 and 2, and the speedup
  memory    1M merchants with --memory $MEM_BUDGET: peak anonymous vs budget + ${MEM_ALLOWANCE_MIB} MiB, peak RSS
  alloc     malloc calls (LD_PRELOAD shim) for $ALLOC_RECORDS records
  all       all of the above
  clean     remove the whole scratch directory ($SCRATCH)

options (each also an environment variable):
  --records N        RECORDS, detail records in the main file (default $RECORDS)
  --merchants M      MERCHANTS, merchants in the main file (default $MERCHANTS)
  --scratch DIR      SCRATCH, working directory (default $SCRATCH)
  --runs N           RUNS, timed runs per measurement (default $RUNS)
  --workers N        WORKERS, settle workers and DuckDB threads (default $WORKERS)
  --no-duckdb        SKIP_DUCKDB=1, skip installing and running DuckDB
  --settle-bin PATH  SETTLE_BIN, use this binary instead of building
  --keep-data        KEEP_DATA=1, keep generated files for the next run (default: deleted at exit)
more: SEED, SCALING_WORKERS, MEM_RECORDS, MEM_MERCHANTS, MEM_BUDGET, MEM_ALLOWANCE_MIB,
      ALLOC_RECORDS, ALLOC_MERCHANTS, ALLOC_WORKERS (see the top of this script).
EOF
}

SECTIONS=()
while (($#)); do
    case $1 in
        --records) RECORDS=$2; shift 2 ;;
        --merchants) MERCHANTS=$2; shift 2 ;;
        --scratch) SCRATCH=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --no-duckdb|--skip-duckdb) SKIP_DUCKDB=1; shift ;;
        --settle-bin) SETTLE_BIN=$2; shift 2 ;;
        --keep-data) KEEP_DATA=1; shift ;;
        -h|--help) usage; exit 0 ;;
        all|duckdb|scaling|memory|alloc|clean) SECTIONS+=("$1"); shift ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
((${#SECTIONS[@]})) || SECTIONS=(all)
if [[ " ${SECTIONS[*]} " == *" all "* ]]; then SECTIONS=(duckdb scaling memory alloc); fi

PYTHON=${PYTHON:-python3}
DATA="$SCRATCH/data"
OUT="$SCRATCH/out"
LOGS="$SCRATCH/logs"
VENV="$SCRATCH/venv"
RESULTS=()    # "section|measure|value" rows of the final table
FAILURES=()   # one line per failed check

# ---- small helpers ----------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
heading() { printf '\n== %s ==\n' "$*"; }
die() { printf '\nrun.sh: FATAL: %s\n' "$*" >&2; exit 2; }
result() { RESULTS+=("$1|$2|$3"); }
fail() {
    FAILURES+=("$1: $2")
    printf '\n!!!!!!!! FAIL %s: %s !!!!!!!!\n\n' "$1" "$2" >&2
}
# calc 'awk expression' [name=value...]: prints the value of an awk expression.
calc() {
    local expression=$1; shift
    local arguments=()
    local pair
    for pair in "$@"; do arguments+=(-v "$pair"); done
    awk "${arguments[@]}" "BEGIN { print $expression }" </dev/null
}
mib() { calc 'sprintf("%.1f", b / 1048576)' "b=$1"; }
rate() { calc 'sprintf("%.0f", n / s)' "n=$1" "s=$2"; }
millions() { calc 'sprintf("%.2fM", n / 1e6)' "n=$1"; }
# best_median VALUES...: prints "best median" (best = smallest).
best_median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.3f %.3f\n", v[1], m }'
}
# json FILE KEY...: prints the values at dotted KEYs of a JSON file, one per line.
json() {
    "$PYTHON" - "$@" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    value = data
    for part in path.split("."):
        value = len(value) if part == "len" else value[part]
    print(value)
EOF
}
# measure OUT_JSON [measure.py options] -- COMMAND...: runs COMMAND, stores measure.py's JSON line.
measure() {
    local target=$1; shift
    "$PYTHON" "$BENCH_DIR/measure.py" --timeout "$RUN_TIMEOUT" "$@" >"$target"
}
# check_run NAME MEASURE_JSON STDERR_FILE WHAT: fails NAME when the run hung or exited non-zero.
check_run() {
    local status
    if [[ $(json "$2" timed_out) == True ]]; then
        tail -5 "$3" >&2
        fail "$1" "$4 still running after $RUN_TIMEOUT s: killed (a hang?)"
        return 1
    fi
    status=$(json "$2" exit)
    if [[ $status != 0 ]]; then
        tail -20 "$3" >&2
        fail "$1" "$4 exited $status (stderr: $3)"
        return 1
    fi
}

cleanup() {
    if [[ $KEEP_DATA != 1 && -n ${SCRATCH:-} ]]; then
        rm -rf "$DATA" "$OUT"
    fi
}

# ---- setup: machine, settle binary, DuckDB ----------------------------------------------------
print_machine() {
    heading "machine"
    say "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    say "cpu:      $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    say "memory:   $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    say "kernel:   $(uname -r)"
    # Other work on the machine (a test suite, a build) shows up in every figure below.
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    say "load:     $load (1, 5, 15 min)$(calc '(l > 0.5) ? "  <- the machine is busy: figures will be noisy" : ""' "l=${load%% *}")"
    say "scratch:  $SCRATCH ($(df -h --output=avail "$SCRATCH" | tail -1 | tr -d ' ') free)"
}

build_settle() {
    heading "settle binary"
    if [[ -n $SETTLE_BIN ]]; then
        [[ -x $SETTLE_BIN ]] || die "SETTLE_BIN=$SETTLE_BIN is not an executable"
        BIN=$SETTLE_BIN
        say "using SETTLE_BIN=$BIN (not built)"
        return
    fi
    local log="$LOGS/build.log" attempt started
    started=$(date +%s)
    for attempt in 1 2 3 4 5; do
        if (cd "$REPO_DIR" && swift build -c release --scratch-path .build-bench) >"$log" 2>&1; then
            break
        fi
        # Other people edit Sources/ while we build; SwiftPM then refuses the build. Try again.
        if grep -q 'was modified during the build' "$log" && ((attempt < 5)); then
            say "build attempt $attempt: sources changed during the build, retrying in 10 s"
            sleep 10
            continue
        fi
        tail -30 "$log" >&2
        die "swift build -c release --scratch-path .build-bench failed (log: $log); set SETTLE_BIN to bench an existing binary"
    done
    mkdir -p "$SCRATCH/bin"
    # A private copy, so a later build of .build-bench cannot change the binary under a run.
    cp "$REPO_DIR/.build-bench/release/settle" "$SCRATCH/bin/settle"
    BIN="$SCRATCH/bin/settle"
    local commit dirty=""
    commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git -C "$REPO_DIR" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then
        dirty=" + uncommitted changes in Sources/"
    fi
    say "built release in $(($(date +%s) - started)) s at commit $commit$dirty"
    say "binary: $BIN"
    result setup "settle commit" "$commit$dirty"
}

install_duckdb() {
    [[ $SKIP_DUCKDB == 1 ]] && return
    heading "DuckDB"
    if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV" || die "python3 -m venv $VENV failed"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check duckdb >"$LOGS/pip.log" 2>&1 ||
            "$VENV/bin/pip" install --quiet --disable-pip-version-check 'duckdb<2' >>"$LOGS/pip.log" 2>&1 ||
            { tail -20 "$LOGS/pip.log" >&2; die "pip install duckdb failed (log: $LOGS/pip.log); run with --no-duckdb to skip it"; }
    fi
    DUCKDB_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')
    say "duckdb $DUCKDB_VERSION in $VENV"
    result setup "duckdb version" "$DUCKDB_VERSION"
}

# generate NAME RECORDS MERCHANTS: sets GEN_DIR to DATA/NAME holding settlement.dat and expected/,
# reusing an earlier file when records, merchants, seed and binary are the same.
generate() {
    local name=$1 records=$2 merchants=$3
    GEN_DIR="$DATA/$name"
    local stamp
    stamp="$records $merchants $SEED $(sha256sum "$BIN" | cut -c1-16)"
    if [[ -f $GEN_DIR/stamp && $(cat "$GEN_DIR/stamp") == "$stamp" && -f $GEN_DIR/settlement.dat ]]; then
        say "reusing $GEN_DIR/settlement.dat ($records records, $merchants merchants)"
        return
    fi
    rm -rf "$GEN_DIR"
    mkdir -p "$GEN_DIR"
    local started=$EPOCHREALTIME
    "$BIN" generate --records "$records" --merchants "$merchants" --seed "$SEED" --out "$GEN_DIR" \
        --layout reference 2>"$LOGS/generate-$name.log" ||
        { cat "$LOGS/generate-$name.log" >&2; die "settle generate failed for $name"; }
    rm -f "$GEN_DIR/ledger.csv"   # not used here; saves disk and page cache
    [[ -f $GEN_DIR/settlement.dat && -f $GEN_DIR/expected/totals.csv ]] ||
        die "settle generate wrote no settlement.dat or expected/totals.csv in $GEN_DIR"
    echo "$stamp" >"$GEN_DIR/stamp"
    say "generated $GEN_DIR/settlement.dat: $records records, $merchants merchants, seed $SEED," \
        "$(mib "$(stat -c %s "$GEN_DIR/settlement.dat")") MiB in $(calc 'sprintf("%.1f", b - a)' "a=$started" "b=$EPOCHREALTIME") s"
}

warm() { cat "$1" >/dev/null; }

# run_settle NAME FILE OUTDIR [settle options...]: one timed `settle aggregate`; sets M_JSON, S_JSON.
# MEASURE_OPTIONS (an array) goes to measure.py, e.g. (--sample-ms 5).
MEASURE_OPTIONS=()
run_settle() {
    local name=$1 file=$2 outdir=$3; shift 3
    rm -rf "$outdir"
    M_JSON="$LOGS/$name.measure.json"
    measure "$M_JSON" "${MEASURE_OPTIONS[@]}" --stderr "$LOGS/$name.stderr" -- \
        "$BIN" aggregate "$file" --layout reference --out "$outdir" "$@"
    S_JSON="$outdir/summary.json"
    check_run "$name" "$M_JSON" "$LOGS/$name.stderr" "settle aggregate"
}

# check_settle_totals SECTION OUTDIR GEN_DIR: byte comparison with the ground truth.
check_settle_totals() {
    if cmp -s "$2/totals.csv" "$3/expected/totals.csv"; then
        return 0
    fi
    fail "$1" "settle totals.csv differs from $3/expected/totals.csv"
    "$PYTHON" "$BENCH_DIR/compare_totals.py" "$3/expected/totals.csv" "$2/totals.csv" "settle" >&2 || true
    return 1
}

# ---- section: settle vs DuckDB end to end -----------------------------------------------------
section_duckdb() {
    heading "end to end: settle vs DuckDB ($RECORDS records, $MERCHANTS merchants, $WORKERS workers, $RUNS runs)"
    generate main "$RECORDS" "$MERCHANTS"
    local file="$GEN_DIR/settlement.dat" truth="$GEN_DIR/expected/totals.csv"
    local bytes
    bytes=$(stat -c %s "$file")
    warm "$file"; warm "$file"

    local floors=() i
    for i in 1 2 3; do
        measure "$LOGS/cat.json" --stdout /dev/null -- cat "$file"
        floors+=("$(json "$LOGS/cat.json" wall_s)")
    done
    local cat_best
    read -r cat_best _ < <(best_median "${floors[@]}")
    say "cat floor (cat file > /dev/null, page cache warm, best of 3): $cat_best s," \
        "$(calc 'sprintf("%.2f", b / s / 1073741824)' "b=$bytes" "s=$cat_best") GiB/s, $(millions "$(rate "$RECORDS" "$cat_best")") records/s"
    result duckdb "cat floor, s" "$cat_best"

    local walls=() rss=() anon=() maps=() ok=1
    for ((i = 1; i <= RUNS; i++)); do
        run_settle "e2e-settle-$i" "$file" "$OUT/e2e-settle" --workers "$WORKERS" || { ok=0; continue; }
        check_settle_totals duckdb "$OUT/e2e-settle" "$GEN_DIR" || ok=0
        local wall maxrss
        wall=$(json "$M_JSON" wall_s); maxrss=$(json "$M_JSON" max_rss_bytes)
        walls+=("$wall"); rss+=("$maxrss")
        anon+=("$(json "$S_JSON" run.peak_anonymous_bytes)")
        maps+=("$(json "$S_JSON" run.stage_seconds.map)")
        say "settle run $i: $wall s wall, map $(json "$S_JSON" run.stage_seconds.map) s," \
            "peak RSS $(mib "$maxrss") MiB, peak anonymous $(mib "${anon[-1]}") MiB"
    done
    ((${#walls[@]})) || { result duckdb "settle" "FAILED"; return; }
    local s_best s_median
    read -r s_best s_median < <(best_median "${walls[@]}")
    local s_rss s_anon
    s_rss=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
    s_anon=$(printf '%s\n' "${anon[@]}" | sort -g | tail -1)
    ((ok)) && say "settle totals.csv: byte-identical to the ground truth in all $RUNS runs"
    say "settle:  best $s_best s, median $s_median s; $(millions "$(rate "$RECORDS" "$s_best")") records/s (best);" \
        "peak RSS $(mib "$s_rss") MiB, peak anonymous $(mib "$s_anon") MiB"
    result duckdb "settle wall best / median, s" "$s_best / $s_median"
    result duckdb "settle records/s (best)" "$(millions "$(rate "$RECORDS" "$s_best")")"
    result duckdb "settle peak RSS / anonymous, MiB" "$(mib "$s_rss") / $(mib "$s_anon")"
    result duckdb "settle totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"

    if [[ $SKIP_DUCKDB == 1 ]]; then
        say "DuckDB skipped (--no-duckdb)"
        return
    fi
    local d_walls=() d_rss=() d_queries=() d_ok=1
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$OUT/duckdb-totals.csv"
        mkdir -p "$OUT"
        measure "$LOGS/e2e-duckdb-$i.measure.json" --stderr "$LOGS/e2e-duckdb-$i.stderr" -- \
            "$VENV/bin/python" "$BENCH_DIR/duckdb_totals.py" "$file" "$OUT/duckdb-totals.csv" "$WORKERS"
        if ! check_run duckdb "$LOGS/e2e-duckdb-$i.measure.json" "$LOGS/e2e-duckdb-$i.stderr" "DuckDB run $i"; then
            d_ok=0
            continue
        fi
        if ! "$PYTHON" "$BENCH_DIR/compare_totals.py" "$truth" "$OUT/duckdb-totals.csv" "duckdb run $i" >"$LOGS/e2e-duckdb-$i.compare"; then
            cat "$LOGS/e2e-duckdb-$i.compare" >&2
            fail duckdb "DuckDB totals differ from the ground truth (run $i)"
            d_ok=0
        fi
        d_walls+=("$(json "$LOGS/e2e-duckdb-$i.measure.json" wall_s)")
        d_rss+=("$(json "$LOGS/e2e-duckdb-$i.measure.json" max_rss_bytes)")
        d_queries+=("$(sed -n 's/.*: query \([0-9.]*\) s.*/\1/p' "$LOGS/e2e-duckdb-$i.stderr")")
        say "duckdb run $i: ${d_walls[-1]} s wall ($(tail -1 "$LOGS/e2e-duckdb-$i.stderr" | sed 's/^duckdb [^:]*: //')), peak RSS $(mib "${d_rss[-1]}") MiB"
    done
    ((${#d_walls[@]})) || return
    local d_best d_median d_max_rss
    read -r d_best d_median < <(best_median "${d_walls[@]}")
    d_max_rss=$(printf '%s\n' "${d_rss[@]}" | sort -g | tail -1)
    ((d_ok)) && say "duckdb totals: equal to the ground truth after normalising, in all $RUNS runs"
    say "duckdb:  best $d_best s, median $d_median s; $(millions "$(rate "$RECORDS" "$d_best")") records/s (best); peak RSS $(mib "$d_max_rss") MiB"
    local ratio_best ratio_median
    ratio_best=$(calc 'sprintf("%.2f", d / s)' "d=$d_best" "s=$s_best")
    ratio_median=$(calc 'sprintf("%.2f", d / s)' "d=$d_median" "s=$s_median")
    say "ratio DuckDB/settle wall time: ${ratio_best}x (best), ${ratio_median}x (median)"
    local q_best
    read -r q_best _ < <(best_median "${d_queries[@]}")
    say "duckdb query alone (without starting Python and importing duckdb): best $q_best s"
    result duckdb "duckdb wall best / median, s" "$d_best / $d_median"
    result duckdb "duckdb query alone (best), s" "$q_best"
    result duckdb "duckdb records/s (best)" "$(millions "$(rate "$RECORDS" "$d_best")")"
    result duckdb "duckdb peak RSS, MiB" "$(mib "$d_max_rss")"
    result duckdb "duckdb totals vs ground truth" "$( ((d_ok)) && echo equal || echo MISMATCH)"
    result duckdb "ratio DuckDB/settle (best, median)" "${ratio_best}x, ${ratio_median}x"
}

# ---- section: map-phase scaling with workers --------------------------------------------------
section_scaling() {
    heading "scaling: map phase with --workers $SCALING_WORKERS ($RECORDS records, $RUNS runs each)"
    generate main "$RECORDS" "$MERCHANTS"
    local file="$GEN_DIR/settlement.dat"
    warm "$file"
    local workers first_rate="" i
    for workers in $SCALING_WORKERS; do
        local maps=() walls=() records_read=""
        for ((i = 1; i <= RUNS; i++)); do
            run_settle "scaling-w$workers-$i" "$file" "$OUT/scaling" --workers "$workers" || continue
            check_settle_totals scaling "$OUT/scaling" "$GEN_DIR" || true
            maps+=("$(json "$S_JSON" run.stage_seconds.map)")
            walls+=("$(json "$M_JSON" wall_s)")
            records_read=$(json "$S_JSON" result.records_read)
        done
        ((${#maps[@]})) || { result scaling "--workers $workers" "FAILED"; continue; }
        local map_best map_median wall_best
        read -r map_best map_median < <(best_median "${maps[@]}")
        read -r wall_best _ < <(best_median "${walls[@]}")
        local map_rate
        map_rate=$(rate "$records_read" "$map_best")
        say "--workers $workers: map best $map_best s (median $map_median s) for $records_read records:" \
            "$(millions "$map_rate") records/s in map; end to end best $wall_best s"
        result scaling "map records/s, --workers $workers" "$(millions "$map_rate") (map $map_best s, wall $wall_best s)"
        if [[ -z $first_rate ]]; then
            first_rate=$map_rate
        else
            local speedup
            speedup=$(calc 'sprintf("%.2f", b / a)' "a=$first_rate" "b=$map_rate")
            say "map speedup, --workers $workers vs ${SCALING_WORKERS%% *}: ${speedup}x"
            result scaling "map speedup $workers vs ${SCALING_WORKERS%% *} workers" "${speedup}x"
        fi
    done
}

# ---- section: memory bound with many merchants ------------------------------------------------
section_memory() {
    heading "memory: $MEM_RECORDS records, $MEM_MERCHANTS merchants, --memory $MEM_BUDGET, $WORKERS workers"
    generate memory "$MEM_RECORDS" "$MEM_MERCHANTS"
    local file="$GEN_DIR/settlement.dat"
    warm "$file"
    MEASURE_OPTIONS=(--sample-ms "$MEM_SAMPLE_MS")
    local run_ok=1
    run_settle memory "$file" "$OUT/memory" --workers "$WORKERS" --memory "$MEM_BUDGET" || run_ok=0
    MEASURE_OPTIONS=()
    if ((!run_ok)) || [[ ! -f $S_JSON ]]; then
        ((run_ok)) && fail memory "settle wrote no summary.json"
        result memory "run" "FAILED"
        return
    fi
    local ok=1
    check_settle_totals memory "$OUT/memory" "$GEN_DIR" || ok=0
    local budget anon rss spill_files spill_bytes outside_anon max_rss wall rows
    budget=$(json "$S_JSON" run.memory_bytes)
    anon=$(json "$S_JSON" run.peak_anonymous_bytes)
    rss=$(json "$S_JSON" run.peak_rss_bytes)
    spill_files=$(json "$S_JSON" run.spill_files)
    spill_bytes=$(json "$S_JSON" run.spill_bytes)
    rows=$(json "$S_JSON" result.totals.rows)
    outside_anon=$(json "$M_JSON" peak_anon_bytes)
    max_rss=$(json "$M_JSON" max_rss_bytes)
    wall=$(json "$M_JSON" wall_s)
    local bound=$((budget + MEM_ALLOWANCE_MIB * 1048576))
    local peak=$((anon > outside_anon ? anon : outside_anon))
    ((ok)) && say "totals.csv: byte-identical to the ground truth ($rows merchant/currency rows)"
    say "wall $wall s; stages map $(json "$S_JSON" run.stage_seconds.map) s, reduce $(json "$S_JSON" run.stage_seconds.reduce) s," \
        "finalize $(json "$S_JSON" run.stage_seconds.finalize) s; $spill_files spill files, $(mib "$spill_bytes") MiB spilled"
    say "peak anonymous: $(mib "$anon") MiB (settle's summary.json), $(mib "$outside_anon") MiB (RssAnon sampled every $MEM_SAMPLE_MS ms from outside)"
    say "bound: $(mib "$budget") MiB budget + $MEM_ALLOWANCE_MIB MiB = $(mib "$bound") MiB -> $( ((peak <= bound)) && echo within || echo OVER) ($(calc 'sprintf("%.0f", 100 * p / b)' "p=$peak" "b=$bound")% of the bound)"
    say "peak RSS: $(mib "$max_rss") MiB (wait4 ru_maxrss), $(mib "$rss") MiB (summary.json); RSS includes the mapped input file's pages"
    result memory "peak anonymous (summary / sampled), MiB" "$(mib "$anon") / $(mib "$outside_anon")"
    result memory "bound (budget + ${MEM_ALLOWANCE_MIB} MiB), MiB" "$(mib "$bound") -> $( ((peak <= bound)) && echo within || echo OVER)"
    result memory "peak RSS, MiB" "$(mib "$max_rss")"
    result memory "wall, s; spill files / MiB" "$wall; $spill_files / $(mib "$spill_bytes")"
    result memory "totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"
    ((peak <= bound)) || fail memory "peak anonymous $(mib "$peak") MiB is over the bound $(mib "$bound") MiB"
}

# ---- section: allocation counts ---------------------------------------------------------------
# count_allocations COUNTS_FILE COMMAND...: runs COMMAND counting heap calls into COUNTS_FILE as
# "allocations=N free=N bytes=N ..."; with the LD_PRELOAD shim, or valgrind when ALLOC_METHOD=valgrind.
count_allocations() {
    local counts=$1; shift
    rm -f "$counts"
    if [[ $ALLOC_METHOD == valgrind ]]; then
        local status=0
        timeout -s KILL "$((RUN_TIMEOUT * 10))" valgrind --tool=memcheck --leak-check=no --log-file="$counts.valgrind" "$@" || status=$?
        # "total heap usage: 52,467 allocs, 51,889 frees, 74,519,835 bytes allocated"
        sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes.*/allocations=\1 free=\2 bytes=\3/p' \
            "$counts.valgrind" | tr -d , >"$counts"
        return "$status"
    fi
    # `timeout` outside `env`, so that only settle runs with the shim.
    timeout -s KILL "$RUN_TIMEOUT" env MALLOCCOUNT_OUT="$counts" LD_PRELOAD="$SHIM" "$@"
}

# field NAME FILE: the value of NAME=value in a counts file.
field() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p"; }

section_alloc() {
    heading "allocations: heap calls of settle aggregate --workers $ALLOC_WORKERS ($ALLOC_MERCHANTS merchants; $ALLOC_RECORDS records)"
    SHIM="$SCRATCH/malloccount.so"
    cc -O2 -Wall -Wextra -shared -fPIC -o "$SHIM" "$BENCH_DIR/malloccount.c" -ldl ||
        die "cannot build $BENCH_DIR/malloccount.c"
    ALLOC_METHOD=${ALLOC_METHOD:-preload}
    if [[ $ALLOC_METHOD == preload ]]; then
        # Does interposition reach the Swift binary? (It does when settle links libc dynamically and
        # the Swift runtime allocates through malloc; a static binary would bypass the shim.)
        count_allocations "$LOGS/alloc-probe.txt" "$BIN" --help >/dev/null 2>&1 || true
        if [[ ! -s $LOGS/alloc-probe.txt || $(field allocations "$LOGS/alloc-probe.txt") == 0 ]]; then
            say "LD_PRELOAD shim saw no allocation of $BIN (statically linked libc or runtime?): counting with valgrind instead"
            ALLOC_METHOD=valgrind
        else
            say "shim: $SHIM (LD_PRELOAD; settle --help alone makes $(field allocations "$LOGS/alloc-probe.txt") allocations)"
        fi
    fi
    local alloc_bin=$BIN
    if [[ $ALLOC_METHOD == valgrind ]]; then
        command -v valgrind >/dev/null || die "ALLOC_METHOD=valgrind but valgrind is not installed"
        # Valgrind 3.19 cannot read the DWARF 5 that Swift 6 emits ("unhandled dwarf2 abbrev form"):
        # run a copy without debug information. Valgrind's runs are ~50x slower, so allocations that
        # follow time (a sampler thread) weigh more than with the shim.
        alloc_bin="$SCRATCH/bin/settle-nodebug"
        mkdir -p "$SCRATCH/bin"
        strip --strip-debug -o "$alloc_bin" "$BIN"
        say "counting with valgrind memcheck on $alloc_bin"
    fi
    local records previous_records="" previous_allocations="" previous_rows="" first_records="" first_allocations=""
    local table=()
    for records in $ALLOC_RECORDS; do
        generate "alloc-$records" "$records" "$ALLOC_MERCHANTS"
        warm "$GEN_DIR/settlement.dat"
        rm -rf "$OUT/alloc"
        local counts="$LOGS/alloc-$records.txt"
        if ! count_allocations "$counts" "$alloc_bin" aggregate "$GEN_DIR/settlement.dat" --layout reference \
            --out "$OUT/alloc" --workers "$ALLOC_WORKERS" --quiet 2>"$LOGS/alloc-$records.stderr"; then
            cat "$LOGS/alloc-$records.stderr" >&2
            fail alloc "settle aggregate failed on $records records"
            continue
        fi
        check_settle_totals alloc "$OUT/alloc" "$GEN_DIR" || true
        [[ -s $counts ]] || { fail alloc "no allocation counts for $records records ($ALLOC_METHOD)"; continue; }
        local allocations frees bytes rows partitions
        allocations=$(field allocations "$counts"); frees=$(field free "$counts"); bytes=$(field bytes "$counts")
        rows=$(json "$OUT/alloc/summary.json" result.totals.rows)
        partitions=$(json "$OUT/alloc/summary.json" run.partitions.len)
        local per_million per_row
        per_million=$(calc 'sprintf("%.0f", a / n * 1e6)' "a=$allocations" "n=$records")
        per_row=$(calc 'sprintf("%.2f", a / r)' "a=$allocations" "r=$rows")
        say "$(printf '%9s records: %8s allocations (%s frees, %s MiB requested), %7s per million records, %5s per output row; %s rows, %s partitions' \
            "$records" "$allocations" "$frees" "$(mib "$bytes")" "$per_million" "$per_row" "$rows" "$partitions")"
        result alloc "$(millions "$records") records: allocations (per M records)" "$allocations ($per_million)"
        if [[ -n $previous_records ]]; then
            local per_record per_added_row="n/a"
            per_record=$(calc 'sprintf("%.4f", (a - pa) / (n - pn))' "a=$allocations" "pa=$previous_allocations" "n=$records" "pn=$previous_records")
            if ((rows != previous_rows)); then
                per_added_row=$(calc 'sprintf("%.2f", (a - pa) / (r - pr))' "a=$allocations" "pa=$previous_allocations" "r=$rows" "pr=$previous_rows")
            fi
            say "           from $previous_records to $records records: $per_record allocations per added record, $per_added_row per added output row"
        else
            first_records=$records; first_allocations=$allocations
        fi
        previous_records=$records; previous_allocations=$allocations; previous_rows=$rows
        table+=("$records $rows $allocations")
    done
    [[ -n $first_records && $previous_records != "$first_records" ]] || return
    # Allocations that follow the output (one String per CSV row and the like) are expected; the
    # question is whether any follow the records. Fit allocations = fixed + per_row x rows +
    # per_record x records by least squares over the runs (exact with three runs).
    local fit per_row per_record
    fit=$(printf '%s\n' "${table[@]}" | "$PYTHON" -c '
import sys
points = [tuple(float(x) for x in line.split()) for line in sys.stdin if line.strip()]
if len(points) < 3:
    (n0, r0, a0), (n1, r1, a1) = points[0], points[-1]
    print("n/a", f"{(a1 - a0) / (n1 - n0):.4f}")
    sys.exit()
rows = [[1.0, r, n] for n, r, _ in points]
# normal equations (X^T X) beta = X^T y, solved by Gaussian elimination with pivoting
m = [[sum(x[i] * x[j] for x in rows) for j in range(3)] + [sum(x[i] * p[2] for x, p in zip(rows, points))] for i in range(3)]
for c in range(3):
    pivot = max(range(c, 3), key=lambda r: abs(m[r][c]))
    m[c], m[pivot] = m[pivot], m[c]
    for r in range(3):
        if r != c:
            f = m[r][c] / m[c][c]
            m[r] = [a - f * b for a, b in zip(m[r], m[c])]
beta = [m[i][3] / m[i][i] for i in range(3)]
print(f"{beta[1]:.2f}", f"{beta[2]:.4f}")
')
    read -r per_row per_record <<<"$fit"
    local growth verdict
    growth=$(calc 'sprintf("%.1f", a / fa)' "a=$previous_allocations" "fa=$first_allocations")
    say "fit over the runs: $per_row allocations per output row, $per_record per record"
    if (($(calc '((p < 0 ? -p : p) < limit) ? 1 : 0' "p=$per_record" "limit=$ALLOC_PER_RECORD_LIMIT"))); then
        verdict="flat: $per_record allocations per record (limit $ALLOC_PER_RECORD_LIMIT); records x$(calc 'sprintf("%.0f", n / f)' "n=$previous_records" "f=$first_records"), allocations x$growth, the growth following the merchant/currency rows ($per_row per row)"
        result alloc "fit: allocations per record / per output row" "$per_record / $per_row (flat)"
    else
        verdict="GROWS with records: $per_record allocations per record (limit $ALLOC_PER_RECORD_LIMIT)"
        result alloc "fit: allocations per record / per output row" "$per_record / $per_row (GROWS)"
        fail alloc "allocations grow with the number of records: $per_record per record"
    fi
    say "verdict ($ALLOC_METHOD): $verdict"
}

# ---- final table ------------------------------------------------------------------------------
print_summary() {
    heading "summary ($(date -u '+%Y-%m-%d'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end; whole bench $(( $(date +%s) - BENCH_STARTED )) s)"
    local row section measure value
    printf '%-8s  %-52s  %s\n' section measure value
    printf '%-8s  %-52s  %s\n' -------- ---------------------------------------------------- -----
    for row in "${RESULTS[@]}"; do
        IFS='|' read -r section measure value <<<"$row"
        printf '%-8s  %-52s  %s\n' "$section" "$measure" "$value"
    done
    if ((${#FAILURES[@]})); then
        printf '\nFAILED CHECKS (%d):\n' "${#FAILURES[@]}"
        printf '  %s\n' "${FAILURES[@]}"
    else
        printf '\nall checks passed\n'
    fi
}

# ---- main -------------------------------------------------------------------------------------
if [[ " ${SECTIONS[*]} " == *" clean "* ]]; then
    rm -rf "$SCRATCH"
    say "removed $SCRATCH"
    SECTIONS=("${SECTIONS[@]/clean/}")
    [[ -z ${SECTIONS[*]// /} ]] && exit 0
fi

BENCH_STARTED=$(date +%s)
mkdir -p "$SCRATCH" "$DATA" "$OUT" "$LOGS"
trap cleanup EXIT
print_machine
build_settle
if [[ " ${SECTIONS[*]} " == *" duckdb "* ]]; then install_duckdb; else SKIP_DUCKDB=1; fi

for section in "${SECTIONS[@]}"; do
    [[ -n $section ]] && "section_$section"
done
print_summary
[[ $KEEP_DATA == 1 ]] && say "generated files kept in $DATA (tools/bench/run.sh clean removes $SCRATCH)"
((${#FAILURES[@]} == 0)) || exit 1
