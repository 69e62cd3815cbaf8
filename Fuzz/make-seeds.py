#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus, Fuzz/Corpus/TARGET/*: a few small files per target, made
from the bundled sample, the layouts, and files `settle generate` and `settle aggregate --keep-work`
make (never from real-world files). Deterministic; rerun after a format change:
    SETTLE_BIN=.build/release/settle Fuzz/make-seeds.py
Inputs of the scanner, ledger and gzip targets start with the selector byte the target reads first
(see Fuzz/Sources/SettleFuzz/*Fuzz.swift). The marker target's seeds are not made here: they are
the markers of the job the target itself makes (its attempt directories renamed so that they hold
in every process), which it writes into its corpus when it starts; refresh the committed ones with
    SETTLE_FUZZ_TARGET=marker .build-fuzz/debug/SettleFuzz -runs=0 Fuzz/Corpus/marker"""
import glob, gzip, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
SETTLE = os.path.abspath(os.environ.get("SETTLE_BIN") or os.path.join(ROOT, ".build", "release", "settle"))


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def record(length, fields, fill=b" "):
    """A fixed-width record: `fields` maps 1-based start positions to bytes."""
    out = bytearray(fill * length)
    for start, value in fields.items():
        out[start - 1:start - 1 + len(value)] = value
    return bytes(out)


def settle(*args, cwd=None):
    subprocess.run([SETTLE, *args], cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cnab240():
    bank, cnpj = b"341", b"012345678000199"
    lines = [
        record(240, {1: bank, 4: b"0000", 8: b"0", 18: b"2", 19: cnpj[1:], 143: b"2", 144: b"01122026"}),
        record(240, {1: bank, 4: b"0001", 8: b"1", 9: b"T", 10: b"01", 14: b"040", 18: b"2", 19: cnpj}),
    ]
    for sequence, value in ((1, b"000000000012345"), (3, b"000000000000700")):
        lines.append(record(240, {1: bank, 4: b"0001", 8: b"3", 9: b"%05d" % sequence, 14: b"T", 16: b"06", 82: value,
                                  199: b"000000000000150"}))
        lines.append(record(240, {1: bank, 4: b"0001", 8: b"3", 9: b"%05d" % (sequence + 1), 14: b"U", 16: b"06",
                                  78: value}, fill=b"0"))
    lines.append(record(240, {1: bank, 4: b"0001", 8: b"5", 18: b"000006", 24: b"000002", 30: b"00000000000013045"}))
    lines.append(record(240, {1: bank, 4: b"9999", 8: b"9", 18: b"000001", 24: b"000008"}))
    return lines


def cnab400():
    lines = [record(400, {1: b"0", 2: b"2", 3: b"RETORNO", 10: b"01", 77: b"341", 95: b"011226", 395: b"000001"})]
    for sequence, value in ((2, b"0000000012345"), (3, b"0000000000700")):
        lines.append(record(400, {1: b"1", 2: b"02", 4: b"12345678000199", 109: b"06", 153: value, 176: b"0000000000150",
                                  395: b"%06d" % sequence}))
    lines.append(record(400, {1: b"9", 2: b"2", 3: b"01", 5: b"341", 213: b"00000002", 221: b"00000000013045",
                              395: b"000004"}))
    return lines


def main():
    if not os.access(SETTLE, os.X_OK):
        sys.exit(f"no settle binary at {SETTLE}: build it (swift build -c release --product settle) or set SETTLE_BIN")
    for target in ("layout", "flat", "structured", "ledger", "gzip", "spill"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    sample = open(os.path.join(ROOT, "datasets/sample/settlement.dat"), "rb").read().split(b"\n")
    sample_records = b"\n".join(sample[:12] + [line for line in sample if line.startswith(b"T")][-1:]) + b"\n"
    ledger_lines = open(os.path.join(ROOT, "datasets/sample/ledger.csv"), "rb").read().split(b"\n")
    scratch = tempfile.mkdtemp(prefix="settle-seeds-")
    try:
        # layout: every bundled layout, as written.
        for path in sorted(glob.glob(os.path.join(ROOT, "datasets/layouts/*.yaml"))
                           + glob.glob(os.path.join(ROOT, "datasets/layouts/examples/*.yaml"))):
            put("layout", os.path.basename(path), open(path, "rb").read())

        # flat: selector (bit 0 layout: reference / wide, bit 2 strict, bits 3-4 partition size), file.
        put("flat", "reference-sample", b"\x00" + sample_records)
        put("flat", "reference-sample-crlf-strict", b"\x0c" + sample_records.replace(b"\n", b"\r\n"))
        settle("generate", "--records", "12", "--merchants", "3", "--seed", "7", "--faults", "0.3", "--out", scratch + "/ref")
        put("flat", "reference-faults", b"\x08" + open(scratch + "/ref/settlement.dat", "rb").read())
        settle("generate", "--layout", "wide", "--records", "8", "--merchants", "3", "--seed", "7", "--out", scratch + "/wide")
        put("flat", "wide", b"\x01" + open(scratch + "/wide/settlement.dat", "rb").read())

        # structured: selector (bits 0-1 layout: nacha / cnab240 / cnab400-itau, bit 2 strict, bits 3-4 size).
        settle("generate", "--layout", "nacha", "--records", "6", "--merchants", "2", "--seed", "7", "--out", scratch + "/nacha")
        nacha = open(scratch + "/nacha/settlement.ach", "rb").read()
        put("structured", "nacha", b"\x00" + nacha)
        put("structured", "nacha-strict-small", b"\x0c" + nacha)
        put("structured", "cnab240", b"\x01" + b"\n".join(cnab240()) + b"\n")
        put("structured", "cnab240-crlf-small", b"\x09" + b"\r\n".join(cnab240()) + b"\r\n")
        put("structured", "cnab400-itau", b"\x02" + b"\n".join(cnab400()) + b"\n")

        # ledger: selector (bits 0-1 partition size), CSV.
        put("ledger", "sample-head", b"\x03" + b"\n".join(ledger_lines[:16]) + b"\n")
        put("ledger", "sample-head-crlf-tiny", b"\x00" + b"\r\n".join(ledger_lines[:8]) + b"\r\n")
        header = ledger_lines[0]
        quoted = [header] + [b'"' + line.replace(b",", b'","', 1) + b'"' if i % 2 else line
                             for i, line in enumerate(ledger_lines[1:8])]
        put("ledger", "quoted", b"\x01" + b"\n".join(quoted) + b"\n")
        settle("generate", "--records", "10", "--merchants", "3", "--seed", "7", "--faults", "0.3", "--ledger-style", "messy",
               "--out", scratch + "/messy")
        for path in sorted(glob.glob(scratch + "/messy/*.csv"))[:1]:
            put("ledger", "messy", b"\x02" + open(path, "rb").read())

        # gzip: selector (read size - 1), stream.
        head = sample_records[:1200]
        put("gzip", "one-member", b"\xff" + gzip.compress(head, mtime=0))
        put("gzip", "two-members-small-reads", b"\x07" + gzip.compress(head[:300], mtime=0) + gzip.compress(head[300:], mtime=0))
        put("gzip", "empty-member", b"\x00" + gzip.compress(b"", mtime=0))

        # spill: the work files of a small job with a ledger (runs of partial aggregates, of
        # occurrences by reference, merged totals and mismatch rows).
        job = scratch + "/job"
        os.makedirs(job)
        open(job + "/settlement.dat", "wb").write(b"\n".join(sample[:40] + [line for line in sample if line.startswith(b"T")][-1:]) + b"\n")
        open(job + "/ledger.csv", "wb").write(b"\n".join(ledger_lines[:30]) + b"\n")
        settle("aggregate", "settlement.dat", "--layout", "reference", "--ledger", "ledger.csv", "--out", "out",
               "--work", "work", "--keep-work", "--partition-size", "4KiB", "--buckets", "2", "--quiet", cwd=job)
        runs = sorted(glob.glob(job + "/work/partitions/*/attempt-*/*.run")) + sorted(glob.glob(job + "/work/buckets/*/attempt-*/*.run"))
        seen = set()
        for path in runs:
            name = os.path.basename(path)
            kind = name[0] if name[0] in "sr" else name
            if kind in seen or os.path.getsize(path) > 16384:
                continue
            seen.add(kind)
            put("spill", f"{os.path.basename(os.path.dirname(os.path.dirname(path)))}-{name}", open(path, "rb").read())
        if not os.path.isdir(os.path.join(CORPUS, "spill")):
            sys.exit(f"no spill seeds: the job in {job} did not keep its work files")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print(f"{target:11} {len(files):3} files {size:7} bytes")


main()
