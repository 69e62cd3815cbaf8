#!/usr/bin/env bash
# tools/bench/spark.sh: on the benchmark file (10M records, as tools/bench/run.sh generates it), the
# wall time of `settle aggregate` alone against tools/spark/settle_spark.py on
# `local-cluster[2,1,1024]` (two executor JVMs of one core each), and the time Spark adds per task.
#
#   tools/bench/spark.sh        (environment: RECORDS, MERCHANTS, SEED, SCRATCH, RUNS, PARTITION_SIZE,
#                                MASTER, SETTLE_BIN, SETTLE_SPARK_VENV, KEEP_DATA=1)
#
# Figures, per run (best of RUNS reported):
#   settle aggregate     wall time of `settle aggregate FILE --layout reference --out DIR` (all cores)
#   spark-submit         wall time of the whole spark-submit: JVM and cluster start, plan, map and
#                        reduce tasks, finalize, shutdown
#   driver               plan to finalize, as the driver measures it (no JVM start or shutdown)
#   Spark per task       per stage: (stage wall x task slots - time inside `settle map|reduce`) / tasks,
#                        the slot time not spent in settle (scheduling, serialisation, Python worker,
#                        subprocess start, the attempt records)
# Both runs use the same partition size and buckets (settle's defaults unless PARTITION_SIZE is set),
# and their totals.csv and rejects.csv are compared byte for byte.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RECORDS=${RECORDS:-10000000}
MERCHANTS=${MERCHANTS:-100000}
SEED=${SEED:-20240601}
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/settle-bench-spark}
RUNS=${RUNS:-1}
PARTITION_SIZE=${PARTITION_SIZE:-64M}
MASTER=${MASTER:-local-cluster[2,1,1024]}
VENV=${SETTLE_SPARK_VENV:-${TMPDIR:-/tmp}/settle-spark-venv}
KEEP_DATA=${KEEP_DATA:-0}

cd "$REPO"
tools/setup.sh
if [ -z "${SETTLE_BIN:-}" ]; then
  swift build -c release --product settle >&2
  SETTLE_BIN="$(swift build -c release --show-bin-path)/settle"
fi
if ! "$VENV/bin/python" -c 'import pyspark, sys; sys.exit(0 if pyspark.__version__.startswith("4.") else 1)' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'pyspark>=4,<5'
fi
export PATH="$VENV/bin:$PATH" PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
unset SPARK_HOME

DATA="$SCRATCH/data-$RECORDS-$MERCHANTS-$SEED"
mkdir -p "$SCRATCH"
cleanup() { [ "$KEEP_DATA" = 1 ] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
if [ ! -f "$DATA/settlement.dat" ]; then
  echo "generating $RECORDS records ($MERCHANTS merchants, seed $SEED) in $DATA" >&2
  "$SETTLE_BIN" generate --records "$RECORDS" --merchants "$MERCHANTS" --seed "$SEED" --out "$DATA" --layout reference >/dev/null 2>&1
fi
FILE="$DATA/settlement.dat"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); file: $(du -h "$FILE" | cut -f1), $RECORDS records; partition size $PARTITION_SIZE; master $MASTER" >&2

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
settle_walls=() submit_walls=() driver_walls=()
rm -f "$SCRATCH/report-best.json"
for run in $(seq "$RUNS"); do
  rm -rf "$SCRATCH/aggregate" "$SCRATCH/spark"
  cat "$FILE" >/dev/null
  start=$(now)
  "$SETTLE_BIN" aggregate "$FILE" --layout reference --out "$SCRATCH/aggregate" --partition-size "$PARTITION_SIZE" --quiet || [ $? -eq 1 ]
  settle_walls+=("$(echo "$(now) - $start" | bc)")

  cat "$FILE" >/dev/null
  start=$(now)
  spark-submit --master "$MASTER" --conf spark.ui.enabled=false tools/spark/settle_spark.py --settle "$SETTLE_BIN" \
    --work "$SCRATCH/spark/work" --out "$SCRATCH/spark/out" --report "$SCRATCH/spark/report-$run.json" \
    -- "$FILE" --layout reference --partition-size "$PARTITION_SIZE" >"$SCRATCH/spark-$run.log" 2>&1 || [ $? -eq 1 ] ||
    { tail -30 "$SCRATCH/spark-$run.log" >&2; echo "spark-submit failed" >&2; exit 1; }
  submit_walls+=("$(echo "$(now) - $start" | bc)")
  cmp "$SCRATCH/spark/out/totals.csv" "$SCRATCH/aggregate/totals.csv"
  cmp "$SCRATCH/spark/out/rejects.csv" "$SCRATCH/aggregate/rejects.csv"
  driver_walls+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_seconds"])' "$SCRATCH/spark/report-$run.json")")
  # The breakdown below comes from the run with the best spark-submit wall time.
  if [ "$(best "${submit_walls[@]}")" = "${submit_walls[-1]}" ]; then
    cp "$SCRATCH/spark/report-$run.json" "$SCRATCH/report-best.json"
  fi
  grep '^settle_spark: .* stage' "$SCRATCH/spark-$run.log" >&2
done

python3 - "$SCRATCH/report-best.json" "$(best "${settle_walls[@]}")" "$(best "${submit_walls[@]}")" "$RUNS" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
settle, submit, runs = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
driver = report["wall_seconds"]
print("\n| measure (best of %s; the rows below the second from that spark-submit run) | value |" % runs)
print("|---|---|")
print("| `settle aggregate` alone, wall | %.2f s |" % settle)
print("| Spark driver on %s, whole spark-submit, wall | %.2f s (%.1fx) |" % (report["master"], submit, submit / settle))
print("| Spark driver, plan to finalize (no JVM start/stop) | %.2f s |" % driver)
print("| of which: plan / SparkContext start / executors ready / finalize | %.2f s / %.2f s / %.2f s / %.2f s |"
      % (report["plan_seconds"], report["spark_context_seconds"], report["executors_ready_seconds"], report["finalize_seconds"]))
for kind in ("map", "reduce"):
    stage = report[kind]
    print("| %s stage: %d tasks on %d slots, wall / inside settle | %.2f s / %.2f s |"
          % (kind, stage["tasks"], report["slots"], stage["wall_seconds"], stage["settle_seconds"]))
    print("| %s stage: time Spark adds per task (slot time not in settle) | %.0f ms |" % (kind, stage["spark_overhead_ms_per_task"]))
    print("| %s stage: of which inside the Python task (subprocess start, records) | %.1f ms |" % (kind, stage["in_task_overhead_ms_per_task"]))
EOF
