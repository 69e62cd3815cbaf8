# shellcheck shell=bash
# tools/bench/common.sh: output, arithmetic, JSON and measuring helpers; the settle binary, DuckDB,
# generated files and one settle run, shared by every section.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

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
    local name=$1 records=$2 merchants=$3 ledger=${4:-}
    GEN_DIR="$DATA/$name"
    local stamp
    stamp="$records $merchants $SEED $(sha256sum "$BIN" | cut -c1-16)"
    if [[ -f $GEN_DIR/stamp && $(cat "$GEN_DIR/stamp") == "$stamp" && -f $GEN_DIR/settlement.dat
          && ( $ledger != keep-ledger || -f $GEN_DIR/ledger.csv ) ]]; then
        say "reusing $GEN_DIR/settlement.dat ($records records, $merchants merchants)"
        return
    fi
    rm -rf "$GEN_DIR"
    mkdir -p "$GEN_DIR"
    local started=$EPOCHREALTIME
    "$BIN" generate --records "$records" --merchants "$merchants" --seed "$SEED" --out "$GEN_DIR" \
        --layout reference 2>"$LOGS/generate-$name.log" ||
        { cat "$LOGS/generate-$name.log" >&2; die "settle generate failed for $name"; }
    [[ $ledger == keep-ledger ]] || rm -f "$GEN_DIR/ledger.csv"   # only the reconcile section reads it
    [[ -f $GEN_DIR/settlement.dat && -f $GEN_DIR/expected/totals.csv ]] ||
        die "settle generate wrote no settlement.dat or expected/totals.csv in $GEN_DIR"
    echo "$stamp" >"$GEN_DIR/stamp"
    say "generated $GEN_DIR/settlement.dat: $records records, $merchants merchants, seed $SEED," \
        "$(mib "$(stat -c %s "$GEN_DIR/settlement.dat")") MiB in $(calc 'sprintf("%.1f", b - a)' "a=$started" "b=$EPOCHREALTIME") s"
}

# generate_layout NAME LAYOUT FILE UNIT ENTRIES MERCHANTS: sets GEN_DIR to DATA/NAME holding FILE
# (what `settle generate --layout LAYOUT` writes) and expected/, reusing an earlier file when layout,
# entries, merchants, seed and binary are the same; GENERATE_S is the seconds it took ("" if reused).
generate_layout() {
    local name=$1 layout=$2 file=$3 unit=$4 entries=$5 merchants=$6
    GEN_DIR="$DATA/$name"
    GENERATE_S=""
    local stamp
    stamp="$layout $entries $merchants $SEED $(sha256sum "$BIN" | cut -c1-16)"
    if [[ -f $GEN_DIR/stamp && $(cat "$GEN_DIR/stamp") == "$stamp" && -f $GEN_DIR/$file ]]; then
        say "reusing $GEN_DIR/$file ($entries $unit, $merchants merchants)"
        return
    fi
    rm -rf "$GEN_DIR"
    mkdir -p "$GEN_DIR"
    local started=$EPOCHREALTIME
    "$BIN" generate --layout "$layout" --records "$entries" --merchants "$merchants" --seed "$SEED" --out "$GEN_DIR" \
        2>"$LOGS/generate-$name.log" ||
        { cat "$LOGS/generate-$name.log" >&2; die "settle generate --layout $layout failed for $name"; }
    [[ -f $GEN_DIR/$file && -f $GEN_DIR/expected/totals.csv && -f $GEN_DIR/expected/summary.json ]] ||
        die "settle generate wrote no $file or expected/ in $GEN_DIR"
    echo "$stamp" >"$GEN_DIR/stamp"
    GENERATE_S=$(calc 'sprintf("%.1f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    say "generated $GEN_DIR/$file: $entries $unit, $merchants merchants, seed $SEED," \
        "$(mib "$(stat -c %s "$GEN_DIR/$file")") MiB in $GENERATE_S s ($(tail -1 "$LOGS/generate-$name.log" | sed 's/.*(\(.*\))$/\1/'))"
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

