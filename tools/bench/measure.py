#!/usr/bin/env python3
"""Runs one command and prints one JSON line: wall seconds, exit status and peak memory.

    measure.py [--sample-ms N] [--timeout S] [--stdout FILE] [--stderr FILE] -- COMMAND ARGS...

max_rss_bytes is the command's peak RSS as `/usr/bin/time -f %M` prints it: the command runs under
/usr/bin/time, because a child forked from Python inherits Python's own RSS high-water mark across
exec (about 14 MiB), which would floor every figure. Without /usr/bin/time, wait4's ru_maxrss is used.
With --sample-ms, /proc/PID/status is also read every N ms and the highest RssAnon and RSS seen are
reported (peak_anon_bytes, peak_rss_sampled_bytes): an outside check of the figures a program
reports about itself (the highest single process among the command and its descendants). With --timeout, a command still running after S seconds is killed (SIGKILL)
and reported with "timed_out": true, so a hang fails the bench instead of stopping it. The wall time is taken around fork and wait only, so the interpreter's own
start-up is not in it.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time


def status_kib(pid, names):
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in names:
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def descendants(pid):
    """Children, grandchildren and so on of pid (the command runs under /usr/bin/time, maybe a wrapper)."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as handle:
                children = [int(word) for word in handle.read().split()]
        except (OSError, ValueError):
            children = []
        found += children
        pending += children
    return found


def main(argv):
    sample_ms = 0
    timeout_s = 0.0
    stdout_path = stderr_path = None
    while argv and argv[0] != "--":
        option = argv.pop(0)
        if option == "--sample-ms":
            sample_ms = float(argv.pop(0))
        elif option == "--timeout":
            timeout_s = float(argv.pop(0))
        elif option == "--stdout":
            stdout_path = argv.pop(0)
        elif option == "--stderr":
            stderr_path = argv.pop(0)
        else:
            sys.exit(f"measure.py: unknown option {option}")
    if not argv or len(argv) < 2:
        sys.exit("usage: measure.py [--sample-ms N] [--timeout S] [--stdout FILE] [--stderr FILE] -- COMMAND ARGS...")
    command = argv[1:]
    rss_path = None
    if os.access("/usr/bin/time", os.X_OK):
        rss_file = tempfile.NamedTemporaryFile(prefix="measure-rss-", delete=False)
        rss_file.close()
        rss_path = rss_file.name
        command = ["/usr/bin/time", "-f", "%M", "-o", rss_path, "--"] + command
    stdout = open(stdout_path, "wb") if stdout_path else None
    stderr = open(stderr_path, "wb") if stderr_path else None

    peak_anon_kib = peak_rss_kib = 0
    started = time.perf_counter()
    # Its own process group, so that a timeout can kill the command and /usr/bin/time together.
    child = subprocess.Popen(command, stdout=stdout, stderr=stderr, start_new_session=True)
    timed_out = []
    def kill():
        timed_out.append(True)
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    timer = threading.Timer(timeout_s, kill) if timeout_s > 0 else None
    if timer:
        timer.daemon = True
        timer.start()
    if sample_ms > 0:
        # Polling adds up to one period to the wall time; acceptable where memory is the point.
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid != 0:
                break
            for sampled in [child.pid] + descendants(child.pid):
                values = status_kib(sampled, ("RssAnon", "VmRSS"))
                peak_anon_kib = max(peak_anon_kib, values.get("RssAnon", 0))
                peak_rss_kib = max(peak_rss_kib, values.get("VmRSS", 0))
            time.sleep(sample_ms / 1000)
    else:
        pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if timer:
        timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)  # keeps Popen from waiting again

    max_rss_bytes = usage.ru_maxrss * 1024
    if rss_path:
        try:
            with open(rss_path) as handle:
                lines = [line for line in handle.read().splitlines() if line.strip()]
            max_rss_bytes = int(lines[-1]) * 1024  # "Command exited with non-zero status N" may come first
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_path)
    result = {
        "wall_s": round(wall, 4),
        "exit": child.returncode,
        "max_rss_bytes": max_rss_bytes,
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "timed_out": bool(timed_out),
    }
    if sample_ms > 0:
        result["peak_anon_bytes"] = peak_anon_kib * 1024
        result["peak_rss_sampled_bytes"] = peak_rss_kib * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
