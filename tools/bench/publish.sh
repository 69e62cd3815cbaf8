#!/usr/bin/env bash
# tools/bench/publish.sh: what `settle publish` costs, and what content identity costs the map.
#
#   tools/bench/publish.sh [TOTALS_ROWS]      (default 1000000 merchant/currency rows)
#
# 1. Generates a reference file with TOTALS_ROWS merchants (about 2 records each), aggregates it, and
#    times `settle publish OUT --to URL` into a throwaway PostgreSQL server (initdb in a temporary
#    directory, port 55439 on 127.0.0.1, run as user postgres when run as root), twice: the first
#    publish of the job and a republish (delete, then insert) of the same job. Checks the row count.
# 2. Times `settle aggregate` on that file with the content identity (the build under test) three
#    times and prints the best, so it can be set against the same figure of a build without it.
# Uses SETTLE_BIN, else builds the release binary.
set -euo pipefail
ROWS=${1:-1000000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRATCH=${SCRATCH:-/tmp/settle-bench-publish}
PORT=${PORT:-55439}
if [ -z "${SETTLE_BIN:-}" ]; then
  (cd "$ROOT" && swift build -c release --product settle >/dev/null)
  SETTLE_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/settle"
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "publish.sh: no PostgreSQL server binaries (apt-get install postgresql)"; exit 2; }
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH" && chmod 755 "$SCRATCH"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$SCRATCH/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$SCRATCH/pg"; }
as_pg "$BIN/initdb" -D "$SCRATCH/pg/data" -U postgres --auth=trust --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$SCRATCH/pg/data" -l "$SCRATCH/pg/log" -w \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $SCRATCH/pg" start >/dev/null
trap 'as_pg "$BIN/pg_ctl" -D "$SCRATCH/pg/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE bench" postgres
URL="postgresql://postgres@127.0.0.1:$PORT/bench?sslmode=disable"

"$SETTLE_BIN" generate --records $((ROWS * 2)) --merchants "$ROWS" --seed 19 --layout reference --out "$SCRATCH/data" >/dev/null
"$SETTLE_BIN" aggregate "$SCRATCH/data/settlement.dat" --layout reference --out "$SCRATCH/out" --quiet || [ $? -eq 1 ]
rows=$(($(wc -l < "$SCRATCH/out/totals.csv") - 1))
for attempt in first republish; do
  start=$(date +%s.%N)
  "$SETTLE_BIN" publish "$SCRATCH/out" --to "$URL" --quiet || [ $? -eq 1 ]
  end=$(date +%s.%N)
  count=$(psql -X -At -h 127.0.0.1 -p "$PORT" -U postgres -d bench -c "SELECT count(*) FROM settle.totals")
  [ "$count" = "$rows" ] || { echo "publish.sh: settle.totals has $count rows, totals.csv $rows"; exit 1; }
  printf 'publish (%s) of %d totals rows: %.2f s\n' "$attempt" "$rows" "$(echo "$end - $start" | bc)"
done
best=""
for _ in 1 2 3; do
  start=$(date +%s.%N)
  "$SETTLE_BIN" aggregate "$SCRATCH/data/settlement.dat" --layout reference --out "$SCRATCH/out2" --quiet || [ $? -eq 1 ]
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
printf 'aggregate of %s (%d bytes), best of 3: %.3f s\n' "$SCRATCH/data/settlement.dat" "$(stat -c %s "$SCRATCH/data/settlement.dat")" "$best"
