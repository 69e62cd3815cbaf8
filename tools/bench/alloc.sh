# shellcheck shell=bash
# tools/bench/alloc.sh: the alloc section, heap calls counted with malloccount.c (LD_PRELOAD) or valgrind.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: allocation counts ---------------------------------------------------------------
# count_allocations COUNTS_FILE COMMAND...: runs COMMAND counting heap calls into COUNTS_FILE as
# "allocations=N free=N bytes=N ..."; with the LD_PRELOAD shim, or valgrind when ALLOC_METHOD=valgrind.
count_allocations() {
    local counts=$1; shift
    rm -f "$counts"
    if [[ $ALLOC_METHOD == valgrind ]]; then
        local status=0
        timeout -s KILL "$((RUN_TIMEOUT * 10))" valgrind --tool=memcheck --leak-check=no --log-file="$counts.valgrind" "$@" || status=$?
        # "total heap usage: 52,467 allocs, 51,889 frees, 74,519,835 bytes allocated"
        sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes.*/allocations=\1 free=\2 bytes=\3/p' \
            "$counts.valgrind" | tr -d , >"$counts"
        return "$status"
    fi
    # `timeout` outside `env`, so that only settle runs with the shim.
    timeout -s KILL "$RUN_TIMEOUT" env MALLOCCOUNT_OUT="$counts" LD_PRELOAD="$SHIM" "$@"
}

# field NAME FILE: the value of NAME=value in a counts file.
field() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p"; }

section_alloc() {
    heading "allocations: heap calls of settle aggregate --workers $ALLOC_WORKERS ($ALLOC_MERCHANTS merchants; $ALLOC_RECORDS records)"
    SHIM="$SCRATCH/malloccount.so"
    cc -O2 -Wall -Wextra -shared -fPIC -o "$SHIM" "$BENCH_DIR/malloccount.c" -ldl ||
        die "cannot build $BENCH_DIR/malloccount.c"
    ALLOC_METHOD=${ALLOC_METHOD:-preload}
    if [[ $ALLOC_METHOD == preload ]]; then
        # Does interposition reach the Swift binary? (It does when settle links libc dynamically and
        # the Swift runtime allocates through malloc; a static binary would bypass the shim.)
        count_allocations "$LOGS/alloc-probe.txt" "$BIN" --help >/dev/null 2>&1 || true
        if [[ ! -s $LOGS/alloc-probe.txt || $(field allocations "$LOGS/alloc-probe.txt") == 0 ]]; then
            say "LD_PRELOAD shim saw no allocation of $BIN (statically linked libc or runtime?): counting with valgrind instead"
            ALLOC_METHOD=valgrind
        else
            say "shim: $SHIM (LD_PRELOAD; settle --help alone makes $(field allocations "$LOGS/alloc-probe.txt") allocations)"
        fi
    fi
    local alloc_bin=$BIN
    if [[ $ALLOC_METHOD == valgrind ]]; then
        command -v valgrind >/dev/null || die "ALLOC_METHOD=valgrind but valgrind is not installed"
        # Valgrind 3.19 cannot read the DWARF 5 that Swift 6 emits ("unhandled dwarf2 abbrev form"):
        # run a copy without debug information. Valgrind's runs are ~50x slower, so allocations that
        # follow time (a sampler thread) weigh more than with the shim.
        alloc_bin="$SCRATCH/bin/settle-nodebug"
        mkdir -p "$SCRATCH/bin"
        strip --strip-debug -o "$alloc_bin" "$BIN"
        say "counting with valgrind memcheck on $alloc_bin"
    fi
    local records previous_records="" previous_allocations="" previous_rows="" first_records="" first_allocations=""
    local table=()
    for records in $ALLOC_RECORDS; do
        generate "alloc-$records" "$records" "$ALLOC_MERCHANTS"
        warm "$GEN_DIR/settlement.dat"
        rm -rf "$OUT/alloc"
        local counts="$LOGS/alloc-$records.txt"
        if ! count_allocations "$counts" "$alloc_bin" aggregate "$GEN_DIR/settlement.dat" --layout reference \
            --out "$OUT/alloc" --workers "$ALLOC_WORKERS" --quiet 2>"$LOGS/alloc-$records.stderr"; then
            cat "$LOGS/alloc-$records.stderr" >&2
            fail alloc "settle aggregate failed on $records records"
            continue
        fi
        check_settle_totals alloc "$OUT/alloc" "$GEN_DIR" || true
        [[ -s $counts ]] || { fail alloc "no allocation counts for $records records ($ALLOC_METHOD)"; continue; }
        local allocations frees bytes rows partitions
        allocations=$(field allocations "$counts"); frees=$(field free "$counts"); bytes=$(field bytes "$counts")
        rows=$(json "$OUT/alloc/summary.json" result.totals.rows)
        partitions=$(json "$OUT/alloc/summary.json" run.partitions.len)
        local per_million per_row
        per_million=$(calc 'sprintf("%.0f", a / n * 1e6)' "a=$allocations" "n=$records")
        per_row=$(calc 'sprintf("%.2f", a / r)' "a=$allocations" "r=$rows")
        say "$(printf '%9s records: %8s allocations (%s frees, %s MiB requested), %7s per million records, %5s per output row; %s rows, %s partitions' \
            "$records" "$allocations" "$frees" "$(mib "$bytes")" "$per_million" "$per_row" "$rows" "$partitions")"
        result alloc "$(millions "$records") records: allocations (per M records)" "$allocations ($per_million)"
        if [[ -n $previous_records ]]; then
            local per_record per_added_row="n/a"
            per_record=$(calc 'sprintf("%.4f", (a - pa) / (n - pn))' "a=$allocations" "pa=$previous_allocations" "n=$records" "pn=$previous_records")
            if ((rows != previous_rows)); then
                per_added_row=$(calc 'sprintf("%.2f", (a - pa) / (r - pr))' "a=$allocations" "pa=$previous_allocations" "r=$rows" "pr=$previous_rows")
            fi
            say "           from $previous_records to $records records: $per_record allocations per added record, $per_added_row per added output row"
        else
            first_records=$records; first_allocations=$allocations
        fi
        previous_records=$records; previous_allocations=$allocations; previous_rows=$rows
        table+=("$records $rows $allocations")
    done
    [[ -n $first_records && $previous_records != "$first_records" ]] || return
    # Allocations that follow the output (one String per CSV row and the like) are expected; the
    # question is whether any follow the records. Fit allocations = fixed + per_row x rows +
    # per_record x records by least squares over the runs (exact with three runs).
    local fit per_row per_record
    fit=$(printf '%s\n' "${table[@]}" | "$PYTHON" -c '
import sys
points = [tuple(float(x) for x in line.split()) for line in sys.stdin if line.strip()]
if len(points) < 3:
    (n0, r0, a0), (n1, r1, a1) = points[0], points[-1]
    print("n/a", f"{(a1 - a0) / (n1 - n0):.4f}")
    sys.exit()
rows = [[1.0, r, n] for n, r, _ in points]
# normal equations (X^T X) beta = X^T y, solved by Gaussian elimination with pivoting
m = [[sum(x[i] * x[j] for x in rows) for j in range(3)] + [sum(x[i] * p[2] for x, p in zip(rows, points))] for i in range(3)]
for c in range(3):
    pivot = max(range(c, 3), key=lambda r: abs(m[r][c]))
    m[c], m[pivot] = m[pivot], m[c]
    for r in range(3):
        if r != c:
            f = m[r][c] / m[c][c]
            m[r] = [a - f * b for a, b in zip(m[r], m[c])]
beta = [m[i][3] / m[i][i] for i in range(3)]
print(f"{beta[1]:.2f}", f"{beta[2]:.4f}")
')
    read -r per_row per_record <<<"$fit"
    local growth verdict
    growth=$(calc 'sprintf("%.1f", a / fa)' "a=$previous_allocations" "fa=$first_allocations")
    say "fit over the runs: $per_row allocations per output row, $per_record per record"
    if (($(calc '((p < 0 ? -p : p) < limit) ? 1 : 0' "p=$per_record" "limit=$ALLOC_PER_RECORD_LIMIT"))); then
        verdict="flat: $per_record allocations per record (limit $ALLOC_PER_RECORD_LIMIT); records x$(calc 'sprintf("%.0f", n / f)' "n=$previous_records" "f=$first_records"), allocations x$growth, the growth following the merchant/currency rows ($per_row per row)"
        result alloc "fit: allocations per record / per output row" "$per_record / $per_row (flat)"
    else
        verdict="GROWS with records: $per_record allocations per record (limit $ALLOC_PER_RECORD_LIMIT)"
        result alloc "fit: allocations per record / per output row" "$per_record / $per_row (GROWS)"
        fail alloc "allocations grow with the number of records: $per_record per record"
    fi
    say "verdict ($ALLOC_METHOD): $verdict"
}

