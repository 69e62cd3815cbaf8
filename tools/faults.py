#!/usr/bin/env python3
"""Settle's fault campaign (run by tools/faults.sh; see the README, "Fuzzing and fault campaign").

One reference run of a generated file of 2M records, then, against it:
  kill     SIGKILL at --kills moments spread over map, spill, reduce, publish and report, each
           followed by a resume (`settle resume WORK` and the same command again, alternately);
           after the last one the outputs must be byte-identical to the reference
  enospc   a full disk during spill, reduce and publish: a small tmpfs (mount -t tmpfs) when the
           machine allows it, else SETTLE_FAULT_INJECTION's `enospc`; exit 2, nothing published,
           and the job completes identically once there is room
  eio      SETTLE_FAULT_INJECTION's EIO on spill reads and on fsyncs (persistent: exit 2, then a
           resume completes) and a transient one (retried, the run completes)
  sigbus   the input truncated while mapped: the run dies of SIGBUS (or finishes); the next run
           refuses the changed input
  lock     a second run and a `settle resume` on a work directory in use: refused (exit 2), the
           first run completes identically
Prints a table (case, how, outcome, records lost) and exits 1 if any case failed.
"""
import argparse, json, os, random, re, shutil, signal, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--kills", type=int, default=20)
ap.add_argument("--records", type=int, default=2_000_000)
ap.add_argument("--seed", type=int, default=15)
ap.add_argument("--only", default="", help="comma-separated case groups: kill,enospc,eio,sigbus,lock")
args = ap.parse_args()
rng = random.Random(args.seed)
only = set(filter(None, args.only.split(",")))
base = os.environ.get("FAULTS_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
scratch = tempfile.mkdtemp(prefix="settle-faults-", dir=base)
# A copy, so that a build during the campaign cannot change the binary under it.
SETTLE = os.path.join(scratch, "settle")
shutil.copy2(os.environ["SETTLE_BIN"], SETTLE)
JOB = ["--layout", "reference", "--workers", "2", "--memory", "256MiB", "--partition-size", "8MiB", "--buckets", "16",
       "--max-attempts", "2"]
QUIET = ["--quiet"]
ENV = dict(os.environ, SWIFT_BACKTRACE="enable=no")
# A CI timeout's SIGTERM: unmount and clean up on the way out (the `finally` below).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
rows = []
failures = 0
started = time.monotonic()
mounts = []


def log(message):
    print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)


def run(arguments, env=None, timeout=600):
    return subprocess.run([SETTLE, *arguments], env=dict(ENV, **(env or {})), capture_output=True, text=True, timeout=timeout)


def start(arguments, env=None):
    return subprocess.Popen([SETTLE, *arguments], env=dict(ENV, **(env or {})), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def outputs(out):
    """What must be byte-identical: totals.csv, rejects.csv and the `result` of summary.json."""
    files = {}
    for name in ("totals.csv", "rejects.csv"):
        path = os.path.join(out, name)
        files[name] = open(path, "rb").read() if os.path.exists(path) else None
    summary = os.path.join(out, "summary.json")
    files["summary.result"] = json.load(open(summary)).get("result") if os.path.exists(summary) else None
    return files


def records(files):
    result = files.get("summary.result") or {}
    return result.get("records_read", 0)


def leftovers(out):
    """Temporary or final files in `out` (which was empty before the run)."""
    return sorted(os.listdir(out)) if os.path.isdir(out) else []


def record(case, how, ok, outcome, lost):
    global failures
    if not ok:
        failures += 1
    rows.append((case, how, ("ok: " if ok else "FAILED: ") + outcome, lost))
    log(f"{case}: {'ok' if ok else 'FAILED'}: {outcome}")


def compare(out, reference):
    got = outputs(out)
    differing = [name for name in reference if got[name] != reference[name]]
    return differing, records(reference) - records(got)


def fresh(name):
    path = os.path.join(scratch, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def mount_tmpfs(path, size_bytes):
    os.makedirs(path, exist_ok=True)
    if os.environ.get("FAULTS_NO_MOUNT"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0700", "tmpfs", path],
                          capture_output=True, text=True)
    if done.returncode == 0:
        mounts.append(path)
        return True
    return False


def grow_tmpfs(path):
    return subprocess.run(["mount", "-o", "remount,size=8g", path], capture_output=True).returncode == 0


def unmount_all():
    for path in reversed(mounts):
        subprocess.run(["umount", path], capture_output=True)
    mounts.clear()


def tree_bytes(path):
    """Bytes allocated to the files under `path` (blocks, as a tmpfs counts them)."""
    total = 0
    for directory, _, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                pass
    return total


# ---------------------------------------------------------------- data and reference
data = fresh("data")
log(f"generating {args.records} records (seed {args.seed}) into {data}")
generated = run(["generate", "--records", str(args.records), "--merchants", "20000", "--seed", str(args.seed), "--faults", "0.0005",
                 "--out", data])
if generated.returncode != 0:
    sys.exit(f"settle generate failed: {generated.stderr}")
INPUT = os.path.join(data, "settlement.dat")
ref_out, ref_work = fresh("reference-out"), fresh("reference-work")
t0 = time.monotonic()
reference_run = run(["aggregate", INPUT, "--out", ref_out, "--work", ref_work, "--keep-work", *JOB, *QUIET])
reference_seconds = time.monotonic() - t0
if reference_run.returncode not in (0, 1):
    sys.exit(f"the reference run failed (exit {reference_run.returncode}): {reference_run.stderr}")
REFERENCE = outputs(ref_out)
REFERENCE_STATUS = reference_run.returncode
PARTITIONS = len(os.listdir(os.path.join(ref_work, "partitions")))
BUCKETS = len(os.listdir(os.path.join(ref_work, "buckets")))
MAP_BYTES = tree_bytes(os.path.join(ref_work, "partitions"))
REDUCE_BYTES = tree_bytes(os.path.join(ref_work, "buckets"))
OUT_BYTES = tree_bytes(ref_out)
shutil.rmtree(ref_work)
log(f"reference: exit {REFERENCE_STATUS}, {records(REFERENCE)} records, {reference_seconds:.1f}s, {PARTITIONS} partitions, "
    f"{BUCKETS} buckets; work files {MAP_BYTES} + {REDUCE_BYTES} bytes, outputs {OUT_BYTES} bytes")


# ---------------------------------------------------------------- SIGKILL at random moments
def markers(work, stage):
    directory = os.path.join(work, stage)
    if not os.path.isdir(directory):
        return 0
    return sum(os.path.exists(os.path.join(directory, name, "marker.json")) for name in os.listdir(directory))


def attempts(work, stage):
    """Attempt directories under WORK/STAGE/*/ (those of earlier, killed processes included)."""
    found = set()
    directory = os.path.join(work, stage)
    try:
        for name in os.listdir(directory):
            for attempt in os.listdir(os.path.join(directory, name)):
                if attempt.startswith("attempt-"):
                    found.add(os.path.join(directory, name, attempt))
    except OSError:
        pass
    return found


def spill_in_progress(work, earlier):
    """A spill run in a new attempt directory of a partition that has no marker yet."""
    for attempt in attempts(work, "partitions") - earlier:
        try:
            if not os.path.exists(os.path.join(os.path.dirname(attempt), "marker.json")) and \
                    any(f.endswith(".run") for f in os.listdir(attempt)):
                return True
        except OSError:
            pass
    return False


def temporary(out, name):
    return os.path.isdir(out) and any(f.startswith("." + name + ".tmp-") for f in os.listdir(out))


def kill_when(process, condition, jitter_seconds, limit_seconds=120):
    """Polls `condition` every millisecond; SIGKILLs `jitter` after it holds. Returns the moment
    (seconds after start) or None if the process ended first."""
    t_start = time.monotonic()
    while process.poll() is None and time.monotonic() - t_start < limit_seconds:
        if condition():
            time.sleep(jitter_seconds)
            if process.poll() is not None:
                return None
            process.send_signal(signal.SIGKILL)
            process.wait()
            return time.monotonic() - t_start
        time.sleep(0.001)
    if process.poll() is None:
        # Hung past the limit: stop it; the caller sees exit -9 and fails the case.
        process.kill()
    process.wait()
    return None


def kill_condition(phase, work, out):
    """When to kill a process in `phase`: a predicate, the jitter after it holds, and environment."""
    if phase == "map":
        before = markers(work, "partitions")
        target = before + rng.randint(1, max(1, (PARTITIONS - before) // 3))
        return (lambda: markers(work, "partitions") >= target), rng.uniform(0, 0.03), {}
    if phase == "spill":
        # The first spill of the process sleeps 150 ms before its first write (SETTLE_TEST_DELAY);
        # the kill comes at a random moment of it or just after.
        earlier = attempts(work, "partitions")
        return (lambda: spill_in_progress(work, earlier)), rng.uniform(0, 0.2), {"SETTLE_TEST_DELAY": "/s0:150"}
    if phase == "reduce":
        before, earlier = markers(work, "buckets"), attempts(work, "buckets")
        target = before + rng.randint(0, max(0, (BUCKETS - before) // 2))
        return (lambda: markers(work, "buckets") >= target and bool(attempts(work, "buckets") - earlier)), rng.uniform(0, 0.02), {}
    # Publishing and the report are short: the first write of the file sleeps 300 ms
    # (SETTLE_TEST_DELAY), and the kill comes at a random moment of the write.
    name = "totals.csv" if phase == "publish" else "report.html"
    return (lambda: temporary(out, name)), rng.uniform(0, 0.28), {"SETTLE_TEST_DELAY": f"{name}:300"}


def kill_campaign():
    """Kills in phase order (map and spill first, publish and report last), ten to a job; a job
    that completes before its next kill is finished, compared, and the next kills go to a new one."""
    phases = ["map", "spill", "map", "spill", "reduce", "reduce", "publish", "report", "publish", "report"]
    queue = [phases[i % len(phases)] for i in range(args.kills)]
    kill_number, job_number = 0, 0
    while queue:
        job_number += 1
        out, work = fresh(f"kill-out-{job_number}"), fresh(f"kill-work-{job_number}")
        command = ["aggregate", INPUT, "--out", out, "--work", work, *JOB, *QUIET]
        moments, problems = [], []
        position = 0
        while queue:
            phase = queue[0]
            # Alternately the same command again and `settle resume WORK` (the first is a fresh start).
            arguments = command if position % 2 == 0 else ["resume", work, "--workers", "2", "--memory", "256MiB", *QUIET]
            position += 1
            condition, jitter, env = kill_condition(phase, work, out)
            process = start(arguments, env)
            moment = kill_when(process, condition, jitter)
            if moment is None:
                # The job completed first: check it, and give the rest of the kills to a new job.
                if process.returncode != REFERENCE_STATUS:
                    problems.append(f"{' '.join(arguments[:1])} ended with exit {process.returncode}: {process.stderr.read()[-200:]}")
                moments.append(f"{phase}: completed first")
                break
            queue.pop(0)
            kill_number += 1
            moments.append(f"{phase}@{moment:.3f}s")
        else:
            final = run(command)
            if final.returncode != REFERENCE_STATUS:
                problems.append(f"final run: exit {final.returncode}: {final.stderr[-200:]}")
        differing, lost = compare(out, REFERENCE)
        if differing:
            problems.append("outputs differ: " + ", ".join(differing))
        kills = sum("@" in m for m in moments)
        outcome = "; ".join(problems) if problems else f"{', '.join(moments)}; outputs identical"
        record(f"job {job_number}: {kills} SIGKILLs", "SIGKILL + resume", not problems, outcome, lost)


# ---------------------------------------------------------------- full disk
def enospc_case(stage):
    out, work_root = fresh(f"enospc-{stage}-out"), fresh(f"enospc-{stage}-work")
    tmpfs = work_root if stage in ("spill", "reduce") else out
    size = {"spill": MAP_BYTES // 3, "reduce": MAP_BYTES + REDUCE_BYTES // 3 + (256 << 10), "publish": OUT_BYTES // 3}[stage]
    size = max(size, 64 << 10)
    work = os.path.join(work_root, "work")
    env = {}
    if mount_tmpfs(tmpfs, size):
        how = f"tmpfs of {size // 1024} KiB"
    else:
        part = {"spill": "/partitions/", "reduce": "/buckets/", "publish": "-out/"}[stage]
        env = {"SETTLE_FAULT_INJECTION": f"enospc:{part}:1:*"}
        why = "FAULTS_NO_MOUNT" if os.environ.get("FAULTS_NO_MOUNT") else "mount not permitted"
        how = f"SETTLE_FAULT_INJECTION={env['SETTLE_FAULT_INJECTION']} ({why})"
    command = ["aggregate", INPUT, "--out", out, "--work", work, *JOB, *QUIET]
    failed = run(command, env)
    left = leftovers(out)
    where = {"spill": "partition", "reduce": "bucket", "publish": "publish"}[stage]
    problems = []
    if failed.returncode != 2:
        problems.append(f"exit {failed.returncode}, expected 2")
    if "No space left on device" not in failed.stderr:
        problems.append("no ENOSPC in the message")
    if where != "publish" and where not in failed.stderr:
        problems.append(f"the message names no {where}")
    if left:
        problems.append(f"left in --out: {left[:4]}")
    if not os.path.exists(os.path.join(work, "manifest.json")):
        problems.append("the job directory is gone (not resumable)")
    if env or grow_tmpfs(tmpfs):
        resumed = run(command)
        differing, lost = compare(out, REFERENCE)
        if resumed.returncode != REFERENCE_STATUS or differing:
            problems.append(f"resume: exit {resumed.returncode}, differing {differing}")
    else:
        problems.append("cannot grow the tmpfs")
        lost = "?"
    task = re.search(r"(partition \d+|bucket \d+|cannot write \S*/)", failed.stderr)
    named = ("publishing" if task.group(1).startswith("cannot") else task.group(1)) if task else "?"
    outcome = "; ".join(problems) if problems else f"exit 2 ({named}: No space left on device), nothing in --out; resumed identically"
    record(f"ENOSPC in {stage}", how, not problems, outcome, lost)
    unmount_all()


# ---------------------------------------------------------------- I/O errors
def eio_case(name, rule, expect_failure):
    slug = "".join(c if c.isalnum() else "-" for c in name)
    out, work = fresh(f"eio-{slug}-out"), fresh(f"eio-{slug}-work")
    # Not quiet: a retry is a warning.
    command = ["aggregate", INPUT, "--out", out, "--work", work, *JOB]
    first = run(command, {"SETTLE_FAULT_INJECTION": rule})
    problems = []
    if expect_failure:
        if first.returncode != 2:
            problems.append(f"exit {first.returncode}, expected 2")
        if "Input/output error" not in first.stderr or "failed after 2 attempts" not in first.stderr:
            problems.append(f"message: {first.stderr.strip()[-160:]}")
        if leftovers(out):
            problems.append(f"left in --out: {leftovers(out)[:4]}")
        resumed = run(command)
        status = resumed.returncode
    else:
        if "retrying" not in first.stderr and "attempt 1 failed" not in first.stderr:
            problems.append("no retry reported")
        status = first.returncode
    differing, lost = compare(out, REFERENCE)
    if status != REFERENCE_STATUS or differing:
        problems.append(f"final exit {status}, differing {differing}")
    outcome = "; ".join(problems) if problems else (
        "exit 2, resumed identically" if expect_failure else "retried, outputs identical")
    record(f"EIO {name}", f"SETTLE_FAULT_INJECTION={rule}", not problems, outcome, lost)


# ---------------------------------------------------------------- truncated input
def sigbus_case():
    out, work = fresh("sigbus-out"), fresh("sigbus-work")
    copy = os.path.join(fresh("sigbus-data"), "settlement.dat")
    os.makedirs(os.path.dirname(copy))
    shutil.copyfile(INPUT, copy)
    size = os.path.getsize(copy)
    command = ["aggregate", copy, "--out", out, "--work", work, *JOB, *QUIET]
    process = start(command)
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(work, "manifest.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.001)
    os.truncate(copy, size // 3)
    process.wait()
    died = process.returncode == -signal.SIGBUS
    problems = []
    if not died and process.returncode not in (0, 1, 2):
        problems.append(f"first run: exit {process.returncode}")
    again = run(command)
    if again.returncode != 2 or "size was" not in again.stderr:
        problems.append(f"rerun: exit {again.returncode}: {again.stderr.strip()[-160:]}")
    first = "died of SIGBUS" if died else f"ended with exit {process.returncode}"
    outcome = "; ".join(problems) if problems else f"{first}; the rerun refused the changed input (exit 2)"
    record("input truncated while mapped", "truncate(2) at 1/3", not problems, outcome, 0)


# ---------------------------------------------------------------- a second process
def lock_case():
    out, work = fresh("lock-out"), fresh("lock-work")
    command = ["aggregate", INPUT, "--out", out, "--work", work, *JOB, *QUIET]
    first = start(command)
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(work, "manifest.json")) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.001)
    second = run(command)
    resume = run(["resume", work, "--quiet"])
    first.wait()
    problems = []
    for name, other in (("second aggregate", second), ("resume", resume)):
        if other.returncode != 2 or "in use" not in other.stderr:
            problems.append(f"{name}: exit {other.returncode}: {other.stderr.strip()[-120:]}")
    differing, lost = compare(out, REFERENCE)
    if first.returncode != REFERENCE_STATUS or differing:
        problems.append(f"first run: exit {first.returncode}, differing {differing}")
    outcome = "; ".join(problems) if problems else "both refused (exit 2, job in use); the first run's outputs identical"
    record("concurrent run on the same work dir", "second aggregate + resume", not problems, outcome, lost)


try:
    if not only or "kill" in only:
        kill_campaign()
    if not only or "enospc" in only:
        for stage in ("spill", "reduce", "publish"):
            enospc_case(stage)
    if not only or "eio" in only:
        eio_case("on spill reads (reduce)", "read:/s0:1:*", True)
        eio_case("on fsync (map)", "eio:/p000003/:1:*", True)
        eio_case("transient", "eio:/b00002/:1:1", False)
    if not only or "sigbus" in only:
        sigbus_case()
    if not only or "lock" in only:
        lock_case()
finally:
    unmount_all()
    shutil.rmtree(scratch, ignore_errors=True)

print()
width = max(len(r[0]) for r in rows)
how_width = max(len(r[1]) for r in rows)
print(f"{'case':{width}}  {'how':{how_width}}  {'records lost':>12}  outcome")
for case, how, outcome, lost in rows:
    print(f"{case:{width}}  {how:{how_width}}  {str(lost):>12}  {outcome}")
print(f"\n{len(rows) - failures} of {len(rows)} cases passed in {time.monotonic() - started:.0f}s")
sys.exit(1 if failures else 0)
