#!/usr/bin/env bash
# tools/spark/test.sh: end-to-end tests of tools/spark/settle_spark.py on real Spark clusters on this
# machine (loopback only). Installs pyspark 4.x from PyPI into a virtual environment of its own.
#
#   tools/spark/test.sh [cluster] [reconcile] [faults] [standalone] [ship]      (default: all)
#
#   cluster     `local-cluster[2,1,1024]` (two executor JVMs): outputs byte-identical to `settle aggregate`,
#               summary.json records the scheduler's attempt of every partition and bucket
#   reconcile   the same with `--ledger` (reconciliation): mismatches.csv and reconciliation.csv too
#   faults      the same cluster with a map task that fails once, a reduce task that fails once and
#               an executor SIGKILLed in the middle of a map: outputs still byte-identical
#   standalone  a master and two workers started with spark-class (127.0.0.1 and 127.0.0.2), the job
#               submitted to spark://127.0.0.1:7077 with spark.speculation=true and one map frozen on
#               purpose: a speculative copy runs on the other worker and wins; the cluster is stopped
#   ship        tools/build-static.sh, `ldd` shows only glibc, and the job runs with --ship
#
# Environment: SETTLE_BIN (default: the release build, built if missing), SETTLE_SPARK_VENV
# (default ${TMPDIR:-/tmp}/settle-spark-venv), SPARK_TEST_RECORDS (default 300000), KEEP=1 keeps
# the scratch directory.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DRIVER="$REPO/tools/spark/settle_spark.py"
VENV=${SETTLE_SPARK_VENV:-${TMPDIR:-/tmp}/settle-spark-venv}
RECORDS=${SPARK_TEST_RECORDS:-300000}
SECTIONS=("$@")
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(cluster reconcile faults standalone ship)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/settle-spark-test.XXXXXX")
CLUSTER_PIDS=()
t0=$(date +%s)

log() { echo "== spark test [$(( $(date +%s) - t0 ))s] $*" >&2; }
fail() { echo "spark test FAILED: $*" >&2; exit 1; }

stop_cluster() {
  local pid
  for pid in "${CLUSTER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${CLUSTER_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
}
cleanup() {
  local status=$?
  stop_cluster
  if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
    echo "spark test: scratch kept in $SCRATCH" >&2
  else
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what the tests need: settle, Java 17, pyspark ---------------------------------------------
cd "$REPO"
if [ -z "${SETTLE_BIN:-}" ]; then
  swift build -c release --product settle >&2
  SETTLE_BIN="$(swift build -c release --show-bin-path)/settle"
fi
command -v java >/dev/null || fail "java is missing (Spark 4 needs Java 17 or later)"
if ! "$VENV/bin/python" -c 'import pyspark, sys; sys.exit(0 if pyspark.__version__.startswith("4.") else 1)' 2>/dev/null; then
  log "installing pyspark 4.x into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'pyspark>=4,<5'
fi
export PATH="$VENV/bin:$PATH"
export PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
unset SPARK_HOME
log "pyspark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)'), $(java -version 2>&1 | head -1)"

# ---- the input and the reference outputs ----------------------------------------------------
cd "$SCRATCH"
"$SETTLE_BIN" generate --records "$RECORDS" --merchants 20000 --seed 9 --faults 0.02 --out data >/dev/null 2>&1
set +e
"$SETTLE_BIN" aggregate data/settlement.dat --layout reference --out reference --quiet
status=$?
set -e
[ "$status" -eq 1 ] || fail "settle aggregate exited $status, expected 1 (the input has faults)"
set +e
"$SETTLE_BIN" aggregate data/settlement.dat --layout reference --ledger data/ledger.csv --out reference-reconcile --quiet
status=$?
set -e
[ "$status" -eq 1 ] || fail "settle aggregate --ledger exited $status, expected 1 (the ledger has differences)"
[ -f reference-reconcile/mismatches.csv ] || fail "settle aggregate --ledger wrote no mismatches.csv"
# Relative input path on purpose: tasks must run in the driver's directory for it to resolve, and
# rejects.csv names the file as given.
PLAN=(data/settlement.dat --layout reference --partition-size 1M --buckets 8)

# run NAME MASTER [spark-submit options...]: runs the driver with a time limit; checks exit 1 and
# the outputs against the reference.
run() {
  local name=$1 master=$2
  shift 2
  log "$name: spark-submit --master $master $*"
  set +e
  timeout -k 10 "${RUN_TIMEOUT:-300}" spark-submit --master "$master" --conf spark.ui.enabled=false "$@" \
    "$DRIVER" --settle "$SETTLE_BIN" --work "$SCRATCH/$name/work" --out "$SCRATCH/$name/out" \
    --report "$SCRATCH/$name/report.json" ${SHIP:+--ship} -- "${PLAN[@]}" >"$SCRATCH/$name.log" 2>&1
  status=$?
  set -e
  grep '^settle_spark' "$SCRATCH/$name.log" >&2 || true
  [ "$status" -eq 1 ] || { tail -50 "$SCRATCH/$name.log" >&2; fail "$name: driver exited $status, expected 1"; }
  local reference=${REFERENCE:-reference} file
  for file in totals.csv rejects.csv mismatches.csv reconciliation.csv; do
    [ -f "$reference/$file" ] || continue
    cmp "$SCRATCH/$name/out/$file" "$reference/$file" || fail "$name: $file differs from settle aggregate's"
  done
  "$VENV/bin/python" - "$SCRATCH/$name/out/summary.json" "$reference/summary.json" <<'EOF' || fail "$name: summary.json differs beyond run and run_id"
import json, sys
spark, reference = (json.load(open(path)) for path in sys.argv[1:3])
for summary in (spark, reference):
    summary.pop("run"); summary.pop("run_id")
sys.exit(0 if spark == reference else 1)
EOF
  log "$name: outputs byte-identical to settle aggregate"
}

# check NAME PYTHON: asserts about report.json (`report`) and summary.json's run part (`run`).
check() {
  "$VENV/bin/python" - "$SCRATCH/$1/report.json" "$SCRATCH/$1/out/summary.json" "$2" <<'EOF' || fail "$1: check failed"
import json, sys
report = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))["run"]
partitions = {p["index"]: p for p in run["partitions"]}
buckets = {b["index"]: b for b in run["bucket_tasks"]}
def expect(condition, what):
    if not condition:
        print("expected: %s\nreport: %s\nsummary run: %s" % (what, json.dumps(report)[:3000], json.dumps(run)[:3000]), file=sys.stderr)
        sys.exit(1)
exec(sys.argv[3])
EOF
}

for section in "${SECTIONS[@]}"; do
  case $section in
  cluster)
    run cluster 'local-cluster[2,1,1024]'
    check cluster '
expect(report["partitions"] > 40, "many partitions")
expect(report["map"]["tasks"] == report["partitions"] == len(partitions), "one map task per partition")
expect(report["map"]["attempts"] == report["partitions"] and not report["map"]["retried_tasks"], "no retries")
expect(all(p.get("scheduler_attempt") == 0 for p in partitions.values()), "scheduler_attempt 0 in summary.json")
expect(report["reduce"]["tasks"] == 8 and len(buckets) == 8, "8 reduce tasks, 8 bucket_tasks")
expect(all(b.get("scheduler_attempt") == 0 for b in buckets.values()), "bucket scheduler_attempt 0")
expect(report["map"]["spark"]["completed"] == report["partitions"], "Spark saw every map task complete")'
    ;;
  reconcile)
    saved=("${PLAN[@]}")
    PLAN=(data/settlement.dat --layout reference --ledger data/ledger.csv --partition-size 1M --buckets 8)
    REFERENCE=reference-reconcile run reconcile 'local-cluster[2,1,1024]'
    PLAN=("${saved[@]}")
    check reconcile '
expect(report["map"]["tasks"] == report["partitions"] == len(partitions), "one map task per partition")
expect(any(p["file"].endswith("ledger.csv") for p in partitions.values()), "the ledger was mapped by Spark tasks too")
expect(all(p.get("scheduler_attempt") == 0 for p in partitions.values()), "scheduler_attempt of every partition")'
    ;;
  faults)
    SETTLE_SPARK_TEST_HOOKS=map-fail:3,reduce-fail:2,map-kill:7 run faults 'local-cluster[2,1,1024]'
    check faults '
expect(report["map"]["retried_tasks"] == [3, 7], "map tasks 3 and 7 retried")
expect([f["index"] for f in report["map"]["failed_attempts"]] == [3], "map 3 attempt 0 failed")
expect([l["index"] for l in report["map"]["unfinished_attempts"]] == [7], "map 7 attempt 0 lost with its executor")
expect(report["map"]["spark"]["failed_attempts"] == 2, "Spark counted two failed map attempts")
expect(report["reduce"]["retried_tasks"] == [2], "reduce task 2 retried")
expect(report["reduce"]["spark"]["failed_attempts"] == 1, "Spark counted one failed reduce attempt")
expect(partitions[3]["scheduler_attempt"] == 1 and partitions[7]["scheduler_attempt"] == 1, "partitions 3 and 7 done by attempt 1")
expect(buckets[2]["scheduler_attempt"] == 1, "bucket 2 done by attempt 1")
expect(all(p["scheduler_attempt"] == 0 for i, p in partitions.items() if i not in (3, 7)), "the others by attempt 0")'
    ;;
  standalone)
    # A standalone cluster from spark-class, loopback only: the master and worker A on 127.0.0.1,
    # worker B on 127.0.0.2 (also loopback). Speculation never places a copy on the host of the
    # running attempt, so the two workers need two host names.
    mkdir -p "$SCRATCH/standalone-cluster"
    (cd "$SCRATCH/standalone-cluster" && exec timeout -k 5 600 spark-class org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port 7077 --webui-port 0 >master.log 2>&1) &
    CLUSTER_PIDS+=($!)
    for host in 127.0.0.1 127.0.0.2; do
      (cd "$SCRATCH/standalone-cluster" && SPARK_LOCAL_IP=$host exec timeout -k 5 600 spark-class \
        org.apache.spark.deploy.worker.Worker --host "$host" --cores 1 --memory 1g --webui-port 0 \
        --work-dir "$SCRATCH/standalone-cluster/work-$host" spark://127.0.0.1:7077 >"worker-$host.log" 2>&1) &
      CLUSTER_PIDS+=($!)
    done
    for _ in $(seq 120); do
      [ "$(grep -c 'Registering worker' "$SCRATCH/standalone-cluster/master.log" 2>/dev/null)" -ge 2 ] && break
      sleep 0.5
    done
    [ "$(grep -c 'Registering worker' "$SCRATCH/standalone-cluster/master.log")" -ge 2 ] || {
      tail -20 "$SCRATCH"/standalone-cluster/*.log >&2; fail "standalone: two workers did not register within 60 s"; }
    log "standalone: master and two workers up"
    SETTLE_SPARK_TEST_HOOKS=map-slow:0:30 run standalone spark://127.0.0.1:7077 \
      --conf spark.speculation=true --conf spark.speculation.interval=100ms \
      --conf spark.speculation.multiplier=2 --conf spark.speculation.quantile=0.5 \
      --conf spark.speculation.minTaskRuntime=1s
    check standalone '
expect(report["map"]["winning_attempt"]["0"] == 1, "a speculative copy (attempt 1) of map 0 won")
expect([u["index"] for u in report["map"]["unfinished_attempts"]] == [0], "the frozen attempt 0 of map 0 never finished")
expect(partitions[0]["scheduler_attempt"] == 1, "summary.json: partition 0 published by attempt 1")
expect(report["map"]["wall_seconds"] < 30, "the map stage did not wait for the frozen attempt")'
    stop_cluster
    log "standalone: cluster stopped"
    ;;
  ship)
    static=$("$REPO/tools/build-static.sh" "$SCRATCH/static/settle")
    log "ship: ldd $static"
    ldd "$static" >&2 || true
    # Only glibc: the C library, libm, the dynamic loader and the kernel's vDSO.
    extra=$(ldd "$static" | awk '{print $1}' | grep -Ev '^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|/lib64/ld-linux-x86-64\.so\.2|ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1)$' || true)
    [ -z "$extra" ] || fail "ship: the static settle needs more than glibc: $extra"
    SETTLE_BIN=$static SHIP=1 run ship 'local-cluster[2,1,1024]'
    check ship '
expect(report["map"]["attempts"] == report["partitions"], "every map task ran once")
binaries = report["map"]["settle_binaries"] + report["reduce"]["settle_binaries"]
expect(binaries and all("/static/" not in b for b in binaries), "tasks ran the shipped copy (SparkFiles), not the built one")'
    ;;
  *) fail "unknown section $section (cluster, reconcile, faults, standalone, ship)" ;;
  esac
done
log "all passed: ${SECTIONS[*]}"
