#!/usr/bin/env bash
# tools/bench/open_items.sh [RECORDS] [OPEN] [MEMORY]: `settle aggregate --ledger` with
# `--open-items` carrying OPEN items from the night before, against the plain reconcile of the same
# files in one run (target: at most 1.3x its time; peak anonymous memory bounded by --memory as
# today). Not part of CI. Default: 10M settled records x their ledger, 1M open items, 1GiB.
#
# Night 1 runs on the ledger without its first OPEN rows, so about OPEN settled records are left
# open; night 2 (the measured run) reads the full files with the store carrying them, so they
# match late. Both runs and the plain one are timed; outputs go under $BENCH_DIR.
set -euo pipefail
RECORDS=${1:-10000000}
OPEN=${2:-1000000}
MEMORY=${3:-1GiB}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SETTLE_BIN:-$(cd "$HERE" && swift build -c release --product settle >/dev/null && swift build -c release --show-bin-path)/settle}
DIR=${BENCH_DIR:-/tmp/settle-bench-open-items}
mkdir -p "$DIR"
if [[ ! -f $DIR/data/settlement.dat || $(cat "$DIR/data/records" 2>/dev/null) != "$RECORDS" ]]; then
    rm -rf "$DIR/data"
    "$BIN" generate --records "$RECORDS" --merchants 10000 --seed 21 --out "$DIR/data" --layout reference 2>"$DIR/generate.log"
    echo "$RECORDS" >"$DIR/data/records"
fi
head -1 "$DIR/data/ledger.csv" >"$DIR/ledger-night1.csv"
tail -n +$((OPEN + 2)) "$DIR/data/ledger.csv" >>"$DIR/ledger-night1.csv"

timed() { # timed NAME ARGS...: runs settle aggregate, prints wall seconds and peak anonymous memory
    local name=$1; shift
    rm -rf "$DIR/$name"
    local start=$EPOCHREALTIME status=0
    "$BIN" aggregate "$DIR/data/settlement.dat" --layout reference --memory "$MEMORY" --out "$DIR/$name" "$@" 2>"$DIR/$name.stderr" || status=$?
    ((status <= 1)) || { tail "$DIR/$name.stderr" >&2; exit 2; }
    local wall
    wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    local anon
    anon=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["peak_anonymous_bytes"] // 1048576)' "$DIR/$name/summary.json")
    echo "$name: ${wall}s wall, peak anonymous ${anon} MiB (exit $status)"
}

rm -rf "$DIR/store"
timed plain --ledger "$DIR/data/ledger.csv"
timed night1 --ledger "$DIR/ledger-night1.csv" --open-items "$DIR/store" --as-of 2026-03-01
echo "open after night 1: $(($(wc -l <"$DIR/night1/open_items.csv") - 1))"
timed night2 --ledger "$DIR/data/ledger.csv" --open-items "$DIR/store" --as-of 2026-03-02
echo "late matches on night 2: $(grep -c ',exact,\|^exact,' "$DIR/night2/matches.csv" || true)"
