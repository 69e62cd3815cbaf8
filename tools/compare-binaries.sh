#!/usr/bin/env bash
# Runs two settle binaries on the same inputs and diffs everything they write.
#
#   tools/compare-binaries.sh OLD_SETTLE NEW_SETTLE [SCRATCH]
#
# Inputs: the bundled sample (datasets/sample), a generated file of every built-in layout and of
# every example layout (datasets/layouts/examples) the generator can write (flat layouts and nacha;
# the others are noted and covered by the real-world files), and every file of ../shared/realworld
# (REALWORLD=DIR when the repository is not beside shared/, as in a git worktree; each file with the
# layouts of its family; skipped with a message when the folder is absent). Per input:
# `settle aggregate` (and with `--ledger` where a ledger exists), and `settle inspect`.
# Compared: exit status, stdout, stderr, and every output file byte for byte, except what differs
# between any two runs of one binary, dropped before the diff: summary.json's run_id, run.started_at,
# run.stage_seconds, rates, peak memory, partition and bucket timings; report.html's start time, run
# id, run time, the map timeline and throughput charts and the same facts of its run table; and
# stderr's progress and stage-time lines and the time and rate of its `read` line.
# Exits 0 when everything is identical, 1 when anything differs (the differences are printed).
set -u
OLD=$(realpath "${1:?usage: $0 OLD_SETTLE NEW_SETTLE [SCRATCH]}")
NEW=$(realpath "${2:?usage: $0 OLD_SETTLE NEW_SETTLE [SCRATCH]}")
SCRATCH=${3:-/tmp/settle-compare}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REAL=${REALWORLD:-$ROOT/../shared/realworld}
RECORDS=${RECORDS:-20000}
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/in" "$SCRATCH/old" "$SCRATCH/new"
cases=0 differing=0

# Drops the fields of summary.json that differ between any two runs.
normalize() {
    python3 - "$1" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f: doc = json.load(f)
doc.pop("run_id", None)
run = doc.get("run")
if isinstance(run, dict):
    for key in ("started_at", "stage_seconds", "records_per_second", "bytes_per_second",
                "peak_rss_bytes", "peak_anonymous_bytes"):
        run.pop(key, None)
    for part in run.get("partitions", []):
        for key in ("start_ms", "end_ms", "seconds", "worker"): part.pop(key, None)
    for bucket in run.get("bucket_tasks", []): bucket.pop("seconds", None)
with open(path, "w") as f: json.dump(doc, f, indent=1, sort_keys=True)
PY
}

# Drops the parts of report.html that differ between any two runs.
normalize_report() {
    python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
text = re.sub(r"started [0-9TZ:.\-]+ · run <code>[0-9a-f]+</code>", "started - · run -", text)
text = re.sub(r'id="run-seconds">[^<]*</div><div class="label">[^<]*</div>', 'id="run-seconds">-</div>', text)
text = re.sub(r"<section><h2>(Map timeline|Throughput over time)[^\n]*", "<section>(timed chart)</section>", text)
text = re.sub(r"<tr><td>(started|stage seconds|records per second|bytes per second|peak RSS / anonymous)</td><td>[^<]*</td></tr>",
              "", text)
open(path, "w", encoding="utf-8").write(text)
PY
}

# run NAME ARGS...: runs both binaries with the same arguments (the output directory at the same
# path, moved aside after each run) and compares what they did and wrote.
run() {
    local name=$1; shift
    local side bin
    for side in old new; do
        bin=$OLD; [ "$side" = new ] && bin=$NEW
        rm -rf "$SCRATCH/out"
        (cd "$SCRATCH/in" && "$bin" "$@" >"$SCRATCH/$side.stdout" 2>"$SCRATCH/$side.stderr"; echo $? >"$SCRATCH/$side.status")
        mkdir -p "$SCRATCH/$side/$name"
        [ -d "$SCRATCH/out" ] && cp -r "$SCRATCH/out/." "$SCRATCH/$side/$name/"
        # The job's own work directory holds partition data and markers, not outputs.
        rm -rf "$SCRATCH/$side/$name/.settle-work"
        mv "$SCRATCH/$side.stdout" "$SCRATCH/$side.stderr" "$SCRATCH/$side.status" "$SCRATCH/$side/$name/"
        [ -f "$SCRATCH/$side/$name/summary.json" ] && normalize "$SCRATCH/$side/$name/summary.json"
        [ -f "$SCRATCH/$side/$name/report.html" ] && normalize_report "$SCRATCH/$side/$name/report.html"
        grep -v '^settle: progress: \|^settle: stages: ' "$SCRATCH/$side/$name/$side.stderr" \
            | sed -E 's/ in [0-9.]+ s, [0-9]+ records\/s$/ in - s/' >"$SCRATCH/$side/$name/stderr" || true
        rm "$SCRATCH/$side/$name/$side.stderr"
        mv "$SCRATCH/$side/$name/$side.stdout" "$SCRATCH/$side/$name/stdout"
        mv "$SCRATCH/$side/$name/$side.status" "$SCRATCH/$side/$name/status"
    done
    cases=$((cases + 1))
    if ! diff -r "$SCRATCH/old/$name" "$SCRATCH/new/$name" >"$SCRATCH/diff.txt"; then
        differing=$((differing + 1))
        echo "DIFFERS: $name ($*)"
        head -40 "$SCRATCH/diff.txt"
    fi
}

# aggregate_all NAME FILE LAYOUT [LEDGER]: aggregate, reconcile, inspect.
aggregate_all() {
    local name=$1 file=$2 layout=$3 ledger=${4:-}
    run "$name.aggregate" aggregate "$file" --layout "$layout" --out "$SCRATCH/out" --workers 2
    run "$name.aggregate1" aggregate "$file" --layout "$layout" --out "$SCRATCH/out" --workers 1 --partition-size 64KiB
    if [ -n "$ledger" ]; then
        run "$name.reconcile" aggregate "$file" --layout "$layout" --ledger "$ledger" --out "$SCRATCH/out" --workers 2
    fi
    run "$name.inspect" inspect "$file" --layout "$layout" --limit 60
}

# 1. The bundled sample.
cp "$ROOT/datasets/sample/settlement.dat" "$ROOT/datasets/sample/ledger.csv" "$SCRATCH/in/"
aggregate_all sample settlement.dat reference ledger.csv

# 2. Generated files of every built-in and example layout (the old binary generates; both read it).
layouts="reference wide nacha cnab240 cnab400-itau"
for example in "$ROOT"/datasets/layouts/examples/*.yaml; do layouts="$layouts $example"; done
for layout in $layouts; do
    name=$(basename "$layout" .yaml)
    dir="$SCRATCH/in/gen-$name"
    for faults in 0 0.01; do
        if "$OLD" generate --layout "$layout" --records "$RECORDS" --merchants 300 --seed 7 --faults $faults \
            --out "$dir-$faults" >/dev/null 2>"$SCRATCH/generate.err"; then
            data=$(find "$dir-$faults" -maxdepth 1 -type f ! -name '*.csv' ! -name '*.yaml' | head -1)
            ledger=""; [ -f "$dir-$faults/ledger.csv" ] && ledger="$dir-$faults/ledger.csv"
            aggregate_all "gen-$name-$faults" "$data" "$layout" "$ledger"
        else
            echo "note: settle generate --layout $name --faults $faults: $(head -1 "$SCRATCH/generate.err")"
        fi
    done
done

# 3. Every real-world file, with the layouts of its family.
if [ -d "$REAL" ]; then
    E="$ROOT/datasets/layouts/examples"
    while IFS= read -r file; do
        case "$file" in
            */nacha_*) family="nacha" ;;
            */cnab_*) family="cnab240 cnab400-itau $E/cnab400-bradesco.yaml" ;;
            */amex_*) family="$E/epraw.yaml" ;;
            */coda_*) family="$E/coda.yaml" ;;
            */aba_*) family="$E/aba.yaml" ;;
            *) continue ;;
        esac
        for layout in $family; do
            name="real-$(basename "$(dirname "$file")")-$(basename "$file")-$(basename "$layout" .yaml)"
            run "$name.aggregate" aggregate "$file" --layout "$layout" --out "$SCRATCH/out" --workers 2
            run "$name.inspect" inspect "$file" --layout "$layout" --limit 200
        done
    done < <(find "$REAL" -type f ! -name 'README*' ! -name '.gitattributes' | sort)
else
    echo "note: $REAL is absent: real-world files skipped"
fi

echo "compared $cases cases: $differing differ"
[ "$differing" -eq 0 ]
