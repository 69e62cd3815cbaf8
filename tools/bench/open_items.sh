#!/usr/bin/env bash
# tools/bench/open_items.sh [RECORDS] [OPEN] [MEMORY]: `settle aggregate --ledger` with
# `--open-items` carrying OPEN items from the night before, against the plain reconcile of the same
# files in one run (target: at most 1.3x its time; peak anonymous memory bounded by --memory as
# today). Not part of CI. Default: 10M settled records x their ledger, 1M open items, 1GiB.
#
# Night 1 reconciles another generated file of OPEN records against an empty ledger, so its OPEN
# settled records are left open; night 2 (the measured run) reconciles the main files with the
# store carrying them (they stay open, age 1: the cost of carrying them through map, reduce and the
# leftover stage). The plain run reconciles the main files without --open-items.
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
if [[ ! -f $DIR/open/settlement.dat || $(cat "$DIR/open/records" 2>/dev/null) != "$OPEN" ]]; then
    rm -rf "$DIR/open"
    "$BIN" generate --records "$OPEN" --merchants 10000 --seed 22 --out "$DIR/open" --layout reference 2>>"$DIR/generate.log"
    echo "$OPEN" >"$DIR/open/records"
fi
head -1 "$DIR/data/ledger.csv" >"$DIR/empty-ledger.csv"

timed() { # timed NAME ARGS...: runs settle aggregate, prints wall seconds and peak anonymous memory
    local name=$1; shift
    rm -rf "$DIR/$name"
    local start=$EPOCHREALTIME status=0
    "$BIN" aggregate --layout reference --memory "$MEMORY" --out "$DIR/$name" "$@" 2>"$DIR/$name.stderr" || status=$?
    ((status <= 1)) || { tail "$DIR/$name.stderr" >&2; exit 2; }
    local wall
    wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    local anon
    anon=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["peak_anonymous_bytes"] // 1048576)' "$DIR/$name/summary.json")
    echo "$name: ${wall}s wall, peak anonymous ${anon} MiB (exit $status)"
}

rm -rf "$DIR/store"
timed plain "$DIR/data/settlement.dat" --ledger "$DIR/data/ledger.csv"
timed night1 "$DIR/open/settlement.dat" --ledger "$DIR/empty-ledger.csv" --open-items "$DIR/store" --as-of 2026-03-01
echo "open after night 1: $(($(wc -l <"$DIR/night1/open_items.csv") - 1))"
timed night2 "$DIR/data/settlement.dat" --ledger "$DIR/data/ledger.csv" --open-items "$DIR/store" --as-of 2026-03-02
echo "open after night 2: $(($(wc -l <"$DIR/night2/open_items.csv") - 1)); mismatches.csv identical to plain:" \
    "$(cmp -s "$DIR/plain/mismatches.csv" "$DIR/night2/mismatches.csv" && echo yes || echo no)"
