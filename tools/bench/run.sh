#!/usr/bin/env bash
# tools/bench/run.sh: wall time, scaling, memory and allocations of `settle aggregate`, with DuckDB
# as the baseline on the same file. See tools/bench/README.md for what each section measures.
#
#   tools/bench/run.sh [options] [all | duckdb | scaling | memory | alloc | resume | reconcile | nacha | ipm | visa | clean]...
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
ALLOC_PER_RECORD_LIMIT=${ALLOC_PER_RECORD_LIMIT:-0.05}  # fitted allocations per record still called flat
RECON_MEMORY=(${RECON_MEMORY:-1GiB 256MiB})  # settle --memory and DuckDB memory_limit (reconcile section)
RECON_DUCKDB_MODES=${RECON_DUCKDB_MODES:-"join exact"}  # DuckDB queries: plain full outer join, exact pairing
NACHA_RECORDS=${NACHA_RECORDS:-}        # entries of the NACHA file (default: RECORDS, at most NACHA_MAX_ENTRIES)
NACHA_MAX_ENTRIES=8500000               # the most `settle generate --layout nacha` writes (6-digit block count)
NACHA_MERCHANTS=${NACHA_MERCHANTS:-20000}
VISA_RECORDS=${VISA_RECORDS:-}          # transactions of the Visa file (default: RECORDS)
VISA_MERCHANTS=${VISA_MERCHANTS:-20000}
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
  resume    resume overhead: re-publishing a completed job, and finishing after a SIGKILL half way
  reconcile settle aggregate --ledger vs DuckDB's join at the same memory limits (${RECON_MEMORY[*]}),
            peak anonymous memory against --memory + ${MEM_ALLOWANCE_MIB} MiB, outputs against the ground truth
  ipm       settle aggregate --layout mastercard-ipm on a generated blocked EBCDIC IPM file (messages/s,
            MB/s, the RDW walk vs the map stage) next to the reference layout and cardutil on a sample (not in all)
  nacha     settle aggregate --layout nacha on a generated NACHA file (entries/s, lines/s) next to the
            reference layout's records/s in the same run, and DuckDB (a window function) on the same file
  visa      settle aggregate --layout visa-ctf on a generated Visa CTF file (ASCII, LF) next to the
            reference layout's records/s, and DuckDB (a window function numbering transactions)
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
      ALLOC_RECORDS, ALLOC_MERCHANTS, ALLOC_WORKERS, NACHA_RECORDS, NACHA_MERCHANTS, VENV (see the top of this script).
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
        all|duckdb|scaling|memory|alloc|resume|reconcile|nacha|ipm|visa|clean) SECTIONS+=("$1"); shift ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
((${#SECTIONS[@]})) || SECTIONS=(all)
if [[ " ${SECTIONS[*]} " == *" all "* ]]; then SECTIONS=(duckdb scaling memory alloc resume reconcile nacha); fi

PYTHON=${PYTHON:-python3}
DATA="$SCRATCH/data"
OUT="$SCRATCH/out"
LOGS="$SCRATCH/logs"
VENV=${VENV:-$SCRATCH/venv}             # DuckDB's venv (installed there when missing)
RESULTS=()    # "section|measure|value" rows of the final table
FAILURES=()   # one line per failed check

for part in common limit timing memory alloc resume reconcile nacha ipm visa; do
    # shellcheck source=/dev/null
    source "$BENCH_DIR/$part.sh"
done

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
build_limit
if [[ " ${SECTIONS[*]} " == *" duckdb "* || " ${SECTIONS[*]} " == *" reconcile "* || " ${SECTIONS[*]} " == *" nacha "* || " ${SECTIONS[*]} " == *" visa "* ]]; then
    install_duckdb
else
    SKIP_DUCKDB=1
fi

for section in "${SECTIONS[@]}"; do
    [[ -n $section ]] && "section_$section"
done
print_summary
[[ $KEEP_DATA == 1 ]] && say "generated files kept in $DATA (tools/bench/run.sh clean removes $SCRATCH)"
((${#FAILURES[@]} == 0)) || exit 1
