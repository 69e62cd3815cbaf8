#!/usr/bin/env python3
"""Runs a Settle job's plan, map, reduce and finalize tasks on Apache Spark.

    spark-submit --master MASTER tools/spark/settle_spark.py --settle PATH --work DIR --out DIR [--ship] \\
        -- FILE... --layout L [--partition-size S] [--buckets R] [other `settle plan` options]

Everything after `--` goes to `settle plan`. The driver plans the job (`settle plan --work DIR ...`),
runs one Spark task per map partition (`settle map --work DIR --partition I`) and then one per reduce
bucket (`settle reduce --work DIR --bucket B`), each as a subprocess whose non-zero exit fails the
task so that Spark retries it (up to spark.task.maxFailures), and finally `settle finalize --work DIR
--out DIR` on the driver. The job directory and the inputs must be on POSIX storage mounted at the
same path on every host (see the README, "Running on Spark"). Relative input paths are resolved
against the driver's working directory, which tasks use as theirs.

Every task attempt, including the ones that fail or whose executor is lost, leaves a small record in
DIR/spark/attempts/ (written to a temporary name and renamed); the driver reads them back to print
Spark's view of the job: tasks, attempts, failed and lost attempts, and the time Spark adds per task.

The driver's exit status is finalize's: 0 (no findings), 1 (rejects or control differences), or 2
(the job could not run, or a task failed more than spark.task.maxFailures times).

Test hooks (for tools/spark/test.sh only), read on the driver from SETTLE_SPARK_TEST_HOOKS, a
comma-separated list; each fires on attempt 0 of its task only:
    map-fail:I          partition I's `settle map` exits 2 (a failed write of one of its files)
    reduce-fail:B       bucket B's `settle reduce` exits 2
    map-kill:I          while partition I's `settle map` runs, the task SIGKILLs its executor's JVM
    map-slow:I:SECONDS  partition I's `settle map` is stopped (SIGSTOP) early on for SECONDS, so that
                        a speculative copy can run and win while it is still in flight
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

EXIT_CANNOT_RUN = 2


# ---- the task side (runs on executors; only the standard library and pyspark's TaskContext) ------

def _die_with_parent():
    """preexec_fn: the settle subprocess is killed when the Python worker that started it dies (a
    task killed by Spark, or an executor lost), so no orphan keeps writing into the job directory."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _write_record(path, record):
    """Writes a small JSON file under a temporary name, fsyncs and renames it."""
    temporary = "%s.tmp-%d" % (path, os.getpid())
    with open(temporary, "w") as handle:
        json.dump(record, handle, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, path)


def _executor_jvm_pid():
    """The nearest ancestor `java` process of this Python worker, if it is an executor's JVM."""
    pid = os.getppid()
    while pid > 1:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
            with open("/proc/%d/stat" % pid) as handle:
                stat = handle.read()
        except OSError:
            return None
        if os.path.basename(argv[0]) == b"java":
            return pid if any(b"CoarseGrainedExecutorBackend" in arg for arg in argv) else None
        pid = int(stat[stat.rindex(")") + 2:].split()[1])
    return None


def _freeze_once_started(process, work, partition):
    """SIGSTOPs `settle map` as soon as it has created its attempt directory (it is writing)."""
    task_directory = os.path.join(work, "partitions", "p%06d" % partition)
    deadline = time.time() + 10
    while time.time() < deadline and process.poll() is None and not any(
            name.startswith("attempt-") for name in (os.listdir(task_directory) if os.path.isdir(task_directory) else [])):
        time.sleep(0.001)
    process.send_signal(signal.SIGSTOP)


def _run_task(config, kind, index):
    """Runs `settle map --partition I` or `settle reduce --bucket B` for one Spark task attempt."""
    from pyspark import SparkFiles, TaskContext

    context = TaskContext.get()
    attempt = context.attemptNumber() if context is not None else 0
    started = time.time()
    settle = config["settle"]
    if config["ship"]:
        settle = SparkFiles.get(os.path.basename(settle))
        if not os.access(settle, os.X_OK):
            os.chmod(settle, 0o755)
    flag = "--partition" if kind == "map" else "--bucket"
    command = [settle, kind, "--work", config["work"], flag, str(index), "--scheduler-attempt", str(attempt),
               "--memory", config["task_memory"]]
    environment = dict(os.environ)
    hook = config["hooks"].get((kind, index)) if attempt == 0 else None
    if hook and hook[0] == "fail":
        # A real failure of settle's own files: its first write fails and it may not retry.
        part = "/p%06d/" % index if kind == "map" else "/b%05d/" % index
        environment["SETTLE_FAULT_INJECTION"] = "write:%s:1:1000" % part
        command += ["--max-attempts", "1"]
    record = {
        "kind": kind, "index": index, "attempt": attempt, "host": socket.gethostname(),
        "pid": os.getpid(), "stage": context.stageId() if context else None,
        "task_attempt_id": context.taskAttemptId() if context else None,
        "settle": settle, "started": started, "status": "running",
    }
    record_path = os.path.join(config["work"], "spark", "attempts", "%s-%06d-attempt-%d-%d.json" % (
        kind, index, attempt, record["task_attempt_id"] or 0))
    _write_record(record_path, record)

    settle_started = time.time()
    process = subprocess.Popen(command, cwd=config["cwd"], env=environment, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    if hook and hook[0] == "kill":
        # Once settle has started writing (its attempt directory is there), freeze it and take the
        # executor down with it, as when a host dies in the middle of a map: a partial attempt
        # directory is left behind, and no marker.
        jvm = _executor_jvm_pid()
        if jvm is None:
            process.kill()
            raise RuntimeError("map-kill hook: no executor JVM above this Python worker (local master?)")
        _freeze_once_started(process, config["work"], index)
        record["status"] = "lost: executor JVM %d killed while settle map ran" % jvm
        _write_record(record_path, record)
        os.kill(jvm, signal.SIGKILL)
        process.kill()
        time.sleep(120)  # the worker is torn down with its executor long before this ends
        raise RuntimeError("map-kill hook: the executor survived")
    if hook and hook[0] == "slow":
        # Freeze settle in the middle of its map for a while: a speculative copy runs meanwhile.
        # Spark kills this attempt when the copy wins (settle dies with its Python worker); if it
        # is not killed, settle goes on, loses the marker race and removes its own files.
        _freeze_once_started(process, config["work"], index)
        time.sleep(hook[1])
        process.send_signal(signal.SIGCONT)
    out, err = process.communicate()
    settle_seconds = time.time() - settle_started
    message = (err.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
    record.update({"status": "ok" if process.returncode == 0 else "failed", "exit": process.returncode,
                   "settle_seconds": settle_seconds, "ended": time.time(), "message": message})
    _write_record(record_path, record)
    if process.returncode != 0:
        raise RuntimeError("settle %s %s %d (attempt %d on %s) exited %d: %s" % (
            kind, flag, index, attempt, record["host"], process.returncode,
            err.decode("utf-8", "replace").strip()))
    record["task_seconds"] = time.time() - started
    return record


def _task_function(config, kind):
    def run(indexes):
        for index in indexes:
            yield _run_task(config, kind, index)
    return run


# ---- the driver -------------------------------------------------------------------------------

def _usage(message):
    print("settle_spark: usage: %s" % message, file=sys.stderr)
    raise SystemExit(EXIT_CANNOT_RUN)


def _parse_hooks(text):
    hooks = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        fields = item.split(":")
        name = fields[0]
        if name in ("map-fail", "reduce-fail") and len(fields) == 2:
            hooks[(name.split("-")[0], int(fields[1]))] = ("fail",)
        elif name == "map-kill" and len(fields) == 2:
            hooks[("map", int(fields[1]))] = ("kill",)
        elif name == "map-slow" and len(fields) == 3:
            hooks[("map", int(fields[1]))] = ("slow", float(fields[2]))
        else:
            _usage("cannot read test hook '%s'" % item)
    return hooks


def _parse_arguments(argv):
    if "--" not in argv:
        _usage("settle_spark.py --settle PATH --work DIR --out DIR [--ship] -- FILE... --layout L "
               "[settle plan options]  (the `--` is required)")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="settle_spark.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle", default=shutil.which("settle") or "settle",
                        help="the settle binary (same path on every host, unless --ship)")
    parser.add_argument("--work", required=True, help="the job directory (shared POSIX storage)")
    parser.add_argument("--out", required=True, help="output directory for finalize")
    parser.add_argument("--ship", action="store_true",
                        help="distribute --settle with the job (SparkContext.addFile) instead of using it in place")
    parser.add_argument("--task-memory", default="256MiB", help="settle map/reduce --memory (default 256MiB)")
    parser.add_argument("--report", help="also write the driver's view of the job as JSON to this file")
    options = parser.parse_args(argv[:split])
    options.plan = argv[split + 1:]
    return options


def _settle(command, what):
    print("settle_spark: %s: %s" % (what, " ".join(command)), file=sys.stderr, flush=True)
    status = subprocess.call(command)
    if status not in (0, 1):
        raise SystemExit(status if status > 0 else EXIT_CANNOT_RUN)
    return status


def _stage_view(tracker, group):
    """Spark's own counts for the stages of the jobs of one job group."""
    tasks = completed = failed = 0
    for job_id in tracker.getJobIdsForGroup(group):
        job = tracker.getJobInfo(job_id)
        for stage_id in (job.stageIds if job else []):
            stage = tracker.getStageInfo(stage_id)
            if stage:
                tasks += stage.numTasks
                completed += stage.numCompletedTasks
                failed += stage.numFailedTasks
    return {"tasks": tasks, "completed": completed, "failed_attempts": failed}


def _attempt_records(work):
    directory = os.path.join(work, "spark", "attempts")
    records = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as handle:
                records.append(json.load(handle))
    return records


def _summarise(kind, count, results, records, wall, slots):
    """Attempts per task and the time Spark adds per task, from the attempts' own records."""
    mine = [r for r in records if r["kind"] == kind]
    attempts = {}
    for record in mine:
        attempts.setdefault(record["index"], []).append(record)
    retried = sorted(i for i, a in attempts.items() if len(a) > 1)
    failed = [r for r in mine if r["status"] == "failed"]
    # Attempts that never finished: killed by Spark once another attempt won (speculation), or lost
    # with their executor.
    unfinished = [r for r in mine if r["status"] not in ("ok", "failed")]
    settle_seconds = sum(r["settle_seconds"] for r in results)
    task_seconds = sum(r["task_seconds"] for r in results)
    return {
        "tasks": count,
        "attempts": len(mine),
        "retried_tasks": retried,
        "failed_attempts": [{"index": r["index"], "attempt": r["attempt"], "exit": r.get("exit"),
                             "message": r.get("message", "")} for r in failed],
        "unfinished_attempts": [{"index": r["index"], "attempt": r["attempt"], "status": r["status"]} for r in unfinished],
        "winning_attempt": {str(r["index"]): r["attempt"] for r in results},
        "settle_binaries": sorted(set(r["settle"] for r in results)),
        "wall_seconds": round(wall, 3),
        "settle_seconds": round(settle_seconds, 3),
        # Inside the Python task: fork/exec and waiting for settle, attempt records.
        "in_task_overhead_ms_per_task": round(1000 * (task_seconds - settle_seconds) / max(1, count), 1),
        # All of it: the stage's slot-time not spent in a settle subprocess (scheduling, task
        # serialisation, Python worker, result), per task.
        "spark_overhead_ms_per_task": round(1000 * (wall * slots - settle_seconds) / max(1, count), 1),
    }


def _print_view(kind, summary, spark_view):
    retried = ", ".join(map(str, summary["retried_tasks"])) or "none"
    print("settle_spark: %s stage: %d tasks, %d attempts (Spark: %d completed, %d failed attempts); "
          "retried: %s; %.1fs wall, %.1fs in settle, Spark adds %.0f ms per task"
          % (kind, summary["tasks"], summary["attempts"], spark_view["completed"], spark_view["failed_attempts"],
             retried, summary["wall_seconds"], summary["settle_seconds"], summary["spark_overhead_ms_per_task"]),
          file=sys.stderr, flush=True)
    for failure in summary["failed_attempts"]:
        print("settle_spark:   %s %d attempt %d failed (exit %s): %s"
              % (kind, failure["index"], failure["attempt"], failure["exit"], failure["message"]), file=sys.stderr)
    for attempt in summary["unfinished_attempts"]:
        print("settle_spark:   %s %d attempt %d did not finish (killed by Spark after another attempt won, or lost "
              "with its executor; last state: %s)" % (kind, attempt["index"], attempt["attempt"], attempt["status"]),
              file=sys.stderr)


def main(argv):
    options = _parse_arguments(argv)
    work = os.path.abspath(options.work)
    out = os.path.abspath(options.out)
    settle = os.path.abspath(options.settle) if os.sep in options.settle else (shutil.which(options.settle) or options.settle)
    if not (os.path.isfile(settle) and os.access(settle, os.X_OK)):
        print("settle_spark: --settle %s: no such executable" % options.settle, file=sys.stderr)
        return EXIT_CANNOT_RUN
    hooks = _parse_hooks(os.environ.get("SETTLE_SPARK_TEST_HOOKS"))
    started = time.time()

    # Plan on the driver, then read the plan back from the manifest.
    _settle([settle, "plan", "--work", work] + options.plan, "plan")
    plan_seconds = time.time() - started
    with open(os.path.join(work, "manifest.json")) as handle:
        manifest = json.load(handle)
    partitions = len(manifest["partitions"])
    buckets = int(manifest["buckets"])
    os.makedirs(os.path.join(work, "spark", "attempts"), mode=0o700, exist_ok=True)

    from pyspark import SparkConf, SparkContext
    context = SparkContext(conf=SparkConf().setAppName("settle %s" % os.path.basename(work)))
    context.setLogLevel(os.environ.get("SETTLE_SPARK_LOG_LEVEL", "WARN"))
    if options.ship:
        context.addFile(settle)
    config = {"settle": settle, "ship": options.ship, "work": work, "cwd": os.getcwd(),
              "task_memory": options.task_memory, "hooks": hooks}
    slots = max(1, context.defaultParallelism)
    tracker = context.statusTracker()
    report = {"partitions": partitions, "buckets": buckets, "master": context.master, "slots": slots,
              "plan_seconds": round(plan_seconds, 3), "spark_context_seconds": round(time.time() - started - plan_seconds, 3)}
    # One trivial task per slot first: executors register and start their Python workers here, so
    # that the stages' figures are Spark's steady per-task cost, not the cluster's start-up.
    warm_started = time.time()
    context.setJobGroup("settle-warm-up-%d" % os.getpid(), "settle: wait for executors")
    context.parallelize(range(slots), slots).map(lambda _: os.getpid()).collect()
    report["executors_ready_seconds"] = round(time.time() - warm_started, 3)
    status = EXIT_CANNOT_RUN
    try:
        for kind, count in (("map", partitions), ("reduce", buckets)):
            group = "settle-%s-%d" % (kind, os.getpid())
            context.setJobGroup(group, "settle %s of %s" % (kind, work))
            stage_started = time.time()
            try:
                results = (context.parallelize(range(count), count)
                           .mapPartitions(_task_function(config, kind)).collect())
            except Exception as error:  # a task failed spark.task.maxFailures times
                text = str(error).strip().splitlines()
                print("settle_spark: %s stage failed: %s" % (kind, text[0] if text else error), file=sys.stderr)
                return EXIT_CANNOT_RUN
            wall = time.time() - stage_started
            # The status tracker learns of task ends through Spark's listener bus, a little late.
            deadline = time.time() + 10
            view = _stage_view(tracker, group)
            while view["completed"] < count and time.time() < deadline:
                time.sleep(0.1)
                view = _stage_view(tracker, group)
            summary = _summarise(kind, count, results, _attempt_records(work), wall, slots)
            summary["spark"] = view
            report[kind] = summary
            _print_view(kind, summary, view)
    finally:
        context.stop()

    # Finalize on the driver: its exit status is the job's.
    finalize_started = time.time()
    status = _settle([settle, "finalize", "--work", work, "--out", out], "finalize")
    report["finalize_seconds"] = round(time.time() - finalize_started, 3)
    report["wall_seconds"] = round(time.time() - started, 3)
    report["exit"] = status
    if options.report:
        _write_record(os.path.abspath(options.report), report)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
