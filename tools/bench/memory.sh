# shellcheck shell=bash
# tools/bench/memory.sh: the memory section, peak anonymous memory against the --memory bound.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: memory bound with many merchants ------------------------------------------------
section_memory() {
    heading "memory: $MEM_RECORDS records, $MEM_MERCHANTS merchants, --memory $MEM_BUDGET, $WORKERS workers"
    generate memory "$MEM_RECORDS" "$MEM_MERCHANTS"
    local file="$GEN_DIR/settlement.dat"
    warm "$file"
    MEASURE_OPTIONS=(--sample-ms "$MEM_SAMPLE_MS")
    local run_ok=1
    run_settle memory "$file" "$OUT/memory" --workers "$WORKERS" --memory "$MEM_BUDGET" || run_ok=0
    MEASURE_OPTIONS=()
    if ((!run_ok)) || [[ ! -f $S_JSON ]]; then
        ((run_ok)) && fail memory "settle wrote no summary.json"
        result memory "run" "FAILED"
        return
    fi
    local ok=1
    check_settle_totals memory "$OUT/memory" "$GEN_DIR" || ok=0
    local budget anon rss spill_files spill_bytes outside_anon max_rss wall rows
    budget=$(json "$S_JSON" run.memory_bytes)
    anon=$(json "$S_JSON" run.peak_anonymous_bytes)
    rss=$(json "$S_JSON" run.peak_rss_bytes)
    spill_files=$(json "$S_JSON" run.spill_files)
    spill_bytes=$(json "$S_JSON" run.spill_bytes)
    rows=$(json "$S_JSON" result.totals.rows)
    outside_anon=$(json "$M_JSON" peak_anon_bytes)
    max_rss=$(json "$M_JSON" max_rss_bytes)
    wall=$(json "$M_JSON" wall_s)
    local bound=$((budget + MEM_ALLOWANCE_MIB * 1048576))
    local peak=$((anon > outside_anon ? anon : outside_anon))
    ((ok)) && say "totals.csv: byte-identical to the ground truth ($rows merchant/currency rows)"
    say "wall $wall s; stages map $(json "$S_JSON" run.stage_seconds.map) s, reduce $(json "$S_JSON" run.stage_seconds.reduce) s," \
        "finalize $(json "$S_JSON" run.stage_seconds.finalize) s; $spill_files spill files, $(mib "$spill_bytes") MiB spilled"
    say "peak anonymous: $(mib "$anon") MiB (settle's summary.json), $(mib "$outside_anon") MiB (RssAnon sampled every $MEM_SAMPLE_MS ms from outside)"
    say "bound: $(mib "$budget") MiB budget + $MEM_ALLOWANCE_MIB MiB = $(mib "$bound") MiB -> $( ((peak <= bound)) && echo within || echo OVER) ($(calc 'sprintf("%.0f", 100 * p / b)' "p=$peak" "b=$bound")% of the bound)"
    say "peak RSS: $(mib "$max_rss") MiB (wait4 ru_maxrss), $(mib "$rss") MiB (summary.json); RSS includes the mapped input file's pages"
    result memory "peak anonymous (summary / sampled), MiB" "$(mib "$anon") / $(mib "$outside_anon")"
    result memory "bound (budget + ${MEM_ALLOWANCE_MIB} MiB), MiB" "$(mib "$bound") -> $( ((peak <= bound)) && echo within || echo OVER)"
    result memory "peak RSS, MiB" "$(mib "$max_rss")"
    result memory "wall, s; spill files / MiB" "$wall; $spill_files / $(mib "$spill_bytes")"
    result memory "totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"
    ((peak <= bound)) || fail memory "peak anonymous $(mib "$peak") MiB is over the bound $(mib "$bound") MiB"
}

