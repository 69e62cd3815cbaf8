#!/usr/bin/env bash
# tools/bench/watch-latency.sh: what `settle watch` costs (not run in CI).
#   1. delay from a file's rename into the inbox to its batch's published outputs (the registry's
#      `published` line, after totals.csv, rejects.csv, summary.json and report.html are renamed into
#      place), for a small file and a ~1 GB file; the files' mtimes are set a minute back, so the
#      figure is detection + hashing + the job + publishing, without --settle-time (add it for files
#      that arrive with a fresh mtime);
#   2. the daemon's idle CPU and memory with the default --settle-time 2s and --batch-wait 30s
#      (one look at the inbox every 0.5 s).
# Usage: tools/bench/watch-latency.sh [WORK_DIR]   (SETTLE_BIN=... to choose the binary;
#        BIG_RECORDS=6600000 is about 1 GB of the reference layout; IDLE_SECONDS=30)
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SETTLE_BIN:-$(cd "$root_dir" && swift build -c release --product settle >/dev/null && swift build -c release --show-bin-path)/settle}
WORK=${1:-$(mktemp -d /tmp/settle-watch-bench.XXXXXX)}
BIG_RECORDS=${BIG_RECORDS:-6600000}
IDLE_SECONDS=${IDLE_SECONDS:-30}
mkdir -p "$WORK"
echo "binary: $BIN; work: $WORK"

"$BIN" generate --records 1000 --merchants 50 --seed 1 --layout reference --faults 0 --out "$WORK/small" >/dev/null
[[ -f $WORK/big/settlement.dat ]] || "$BIN" generate --records "$BIG_RECORDS" --merchants 20000 --seed 2 --layout reference --faults 0 --out "$WORK/big" >/dev/null
echo "small file: $(stat -c %s "$WORK/small/settlement.dat") bytes; big file: $(stat -c %s "$WORK/big/settlement.dat") bytes"

# One daemon, one file per batch, looking at the inbox every 20 ms.
rm -rf "$WORK/inbox" "$WORK/root"
mkdir -p "$WORK/inbox"
"$BIN" watch "$WORK/inbox" --out "$WORK/root" --layout reference --batch-files 1 --batch-wait 0s --settle-time 1s --quiet &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
batch=0
measure() { # NAME SOURCE
    local name=$1 source=$2
    batch=$((batch + 1))
    cp "$source" "$WORK/inbox/.$name.part"
    touch -d '-1 minute' "$WORK/inbox/.$name.part"
    sync
    local started=$EPOCHREALTIME
    mv "$WORK/inbox/.$name.part" "$WORK/inbox/$name"
    until grep -q "$(printf 'published\t%d\t' "$batch")" "$WORK/root/watch.journal" 2>/dev/null; do sleep 0.005; done
    local delay
    delay=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    echo "rename -> published outputs, $name: $delay s"
    cmp -s "$WORK/root/batches/$(printf '%06d' "$batch")/totals.csv" "$(dirname "$source")/expected/totals.csv" \
        && echo "  totals.csv equals the generator's truth" || echo "  totals.csv DIFFERS from the generator's truth"
}
measure small-1.dat "$WORK/small/settlement.dat"
"$BIN" generate --records 1000 --merchants 50 --seed 3 --layout reference --faults 0 --out "$WORK/small2" >/dev/null
measure small-2.dat "$WORK/small2/settlement.dat"
measure big.dat "$WORK/big/settlement.dat"
echo "daemon memory after the 1 GB batch: $(grep -E 'VmRSS|VmHWM' "/proc/$daemon/status" | tr -s ' \t' ' ' | paste -sd ';')"
kill -TERM "$daemon"; wait "$daemon" || true
started=$EPOCHREALTIME
"$BIN" aggregate "$WORK/big/settlement.dat" --layout reference --out "$WORK/aggregate" --quiet || [[ $? == 1 ]]
echo "for comparison, settle aggregate of the 1 GB file alone: $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') s"
started=$EPOCHREALTIME
sha256sum "$WORK/big/settlement.dat" >/dev/null
echo "and sha256sum of it (the duplicate guard hashes every file): $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') s"
trap - EXIT

# Idle: default settings, an empty inbox.
rm -rf "$WORK/inbox" "$WORK/root"; mkdir -p "$WORK/inbox"
"$BIN" watch "$WORK/inbox" --out "$WORK/root" --layout reference --quiet &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
sleep 3
ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
before=$(ticks)
sleep "$IDLE_SECONDS"
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle: $(awk -v t=$((after - before)) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.3f%% of a core (%d ticks in %d s)", 100 * t / hz / s, t, s }')"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)"
echo "idle memory: $(grep -E 'VmRSS|VmHWM' "/proc/$daemon/status" | tr -s ' \t' ' ' | paste -sd ';')"
kill -TERM "$daemon"; wait "$daemon" || true
