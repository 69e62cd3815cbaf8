#!/usr/bin/env bash
# tools/bench/postgres-ledger.sh: the ledger read from a PostgreSQL table (`--ledger postgresql://...`)
# against the same ledger as CSV, on a throwaway server (initdb in a temporary directory, a free port
# on 127.0.0.1, as the postgres user when run as root; stopped at the end).
#
#   tools/bench/postgres-ledger.sh            # RECORDS=10000000 settled records, a ledger table of as many rows
#   RECORDS=5000000 MEMORY=256MiB tools/bench/postgres-ledger.sh   # the 5M-row bounded-memory check
#
# Prints wall time and peak RSS / peak anonymous memory of both runs, checks that mismatches.csv and
# reconciliation.csv agree (but for ledger_file), and that the table run's peak anonymous memory is
# within --memory + ALLOWANCE_MIB (the table is never held in memory: keyset pages of at most 8,192 rows).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RECORDS=${RECORDS:-10000000}
MERCHANTS=${MERCHANTS:-100000}
SEED=${SEED:-20240601}
MEMORY=${MEMORY:-1GiB}
ALLOWANCE_MIB=${ALLOWANCE_MIB:-64}
SCRATCH=${SCRATCH:-/tmp/settle-bench-postgres}
SETTLE_BIN=${SETTLE_BIN:-}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

[[ -x "$PG_BIN/initdb" ]] || { echo "postgres-ledger.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 2; }
if [[ -z "$SETTLE_BIN" ]]; then
    (cd "$REPO_DIR" && swift build -c release --product settle >/dev/null)
    SETTLE_BIN="$REPO_DIR/.build/release/settle"
fi
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH" && chmod 755 "$SCRATCH"
DATA="$SCRATCH/pgdata"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$DATA" && { [[ $(id -u) == 0 ]] && chown postgres "$DATA" "$SCRATCH"; true; }
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$DATA" -o "-p $PORT -k $SCRATCH -c listen_addresses=127.0.0.1" -l "$SCRATCH/server.log" -w start >/dev/null
trap 'as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres)
URL="postgresql://postgres@127.0.0.1:$PORT/postgres?table=ledger"

echo "== generating $RECORDS records and their ledger (seed $SEED) =="
"$SETTLE_BIN" generate --records "$RECORDS" --merchants "$MERCHANTS" --seed "$SEED" --faults 0.01 --out "$SCRATCH/data" >/dev/null
rows=$(($(wc -l < "$SCRATCH/data/ledger.csv") - 1))
echo "== loading $rows ledger rows with COPY (key: the CSV line number) =="
start=$(date +%s.%N)
"${PSQL[@]}" -c "CREATE TABLE ledger (line bigint PRIMARY KEY, arn text, merchant_id text, currency text, amount bigint, direction text)"
tail -n +2 "$SCRATCH/data/ledger.csv" | awk '{ print NR + 1 "," $0 }' \
    | "${PSQL[@]}" -c "\\copy ledger FROM STDIN WITH (FORMAT csv)"
"${PSQL[@]}" -c "VACUUM ANALYZE ledger"
echo "loaded in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

run() {  # run NAME LEDGER
    local out="$SCRATCH/out-$1"
    local status=0
    /usr/bin/time -f '%e %M' -o "$SCRATCH/$1.time" "$SETTLE_BIN" aggregate "$SCRATCH/data/settlement.dat" --layout reference \
        --ledger "$2" --out "$out" --memory "$MEMORY" 2>"$SCRATCH/$1.stderr" || status=$?
    ((status <= 1)) || { cat "$SCRATCH/$1.stderr" >&2; exit 2; }
    read -r wall rss_kib < "$SCRATCH/$1.time"
    anon=$(python3 -c "import json; print(json.load(open('$out/summary.json'))['run']['peak_anonymous_bytes'])")
    printf '%-6s wall %8.2f s   peak RSS %7.1f MiB   peak anonymous %7.1f MiB\n' "$1" "$wall" \
        "$(python3 -c "print($rss_kib / 1024)")" "$(python3 -c "print($anon / 1048576)")"
    eval "ANON_$1=$anon"
}
echo "== settle aggregate --memory $MEMORY: ledger as CSV, then as a table =="
run csv "$SCRATCH/data/ledger.csv"
run table "$URL"
python3 - "$SCRATCH" <<'PY'
import csv, sys
root = sys.argv[1]
for name in ("mismatches.csv", "reconciliation.csv"):
    def rows(side):
        with open(f"{root}/out-{side}/{name}", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            drop = header.index("ledger_file") if "ledger_file" in header else None
            return [[v for i, v in enumerate(r) if i != drop] for r in reader]
    a, b = rows("csv"), rows("table")
    print(f"{name}: {len(a)} rows, {'identical' if a == b else 'DIFFERENT'} (ledger_file aside)")
    if a != b: sys.exit(1)
PY
bound=$(( $(python3 -c "import re; v='$MEMORY'; n=float(re.match(r'[0-9.]+', v).group()); u=v[len(re.match(r'[0-9.]+', v).group()):].upper(); print(int(n * {'':1,'K':1<<10,'KIB':1<<10,'M':1<<20,'MIB':1<<20,'MB':1<<20,'G':1<<30,'GIB':1<<30,'GB':1<<30}[u]))") + ALLOWANCE_MIB * 1048576 ))
if ((ANON_table <= bound)); then echo "table run: peak anonymous within --memory + $ALLOWANCE_MIB MiB"; else echo "table run: peak anonymous OVER --memory + $ALLOWANCE_MIB MiB" >&2; exit 1; fi
