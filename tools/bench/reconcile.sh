# shellcheck shell=bash
# tools/bench/reconcile.sh: the reconcile section, `settle aggregate --ledger` against DuckDB doing
# the same join, at the same memory limits, with Settle's peak anonymous memory against its bound.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: reconciliation vs DuckDB -----------------------------------------------------------
section_reconcile() {
    heading "reconciliation: $RECORDS records against their ledger, $WORKERS workers, memory ${RECON_MEMORY[*]}, $RUNS runs"
    generate reconcile "$RECORDS" "$MERCHANTS" keep-ledger
    local file="$GEN_DIR/settlement.dat" ledger="$GEN_DIR/ledger.csv"
    warm "$file"; warm "$ledger"
    say "ledger: $(mib "$(stat -c %s "$ledger")") MiB, $(($(wc -l <"$ledger") - 1)) rows"
    local memory
    for memory in "${RECON_MEMORY[@]}"; do
        local walls=() anon=() ok=1 i reference=""
        MEASURE_OPTIONS=(--sample-ms "$MEM_SAMPLE_MS")
        for ((i = 1; i <= RUNS; i++)); do
            local name="reconcile-$memory-$i"
            rm -rf "$OUT/$name"
            M_JSON="$LOGS/$name.measure.json"
            measure "$M_JSON" "${MEASURE_OPTIONS[@]}" --stderr "$LOGS/$name.stderr" -- \
                "$BIN" aggregate "$file" --layout reference --ledger "$ledger" --out "$OUT/$name" \
                --workers "$WORKERS" --memory "$memory"
            # Exit 1 is expected: the generated files have faults on purpose.
            if [[ $(json "$M_JSON" timed_out) == True || $(json "$M_JSON" exit) -gt 1 ]]; then
                tail -20 "$LOGS/$name.stderr" >&2
                fail reconcile "settle --ledger --memory $memory run $i failed (stderr: $LOGS/$name.stderr)"
                ok=0
                continue
            fi
            local summary="$OUT/$name/summary.json"
            walls+=("$(json "$M_JSON" wall_s)")
            local inside outside
            inside=$(json "$summary" run.peak_anonymous_bytes); outside=$(json "$M_JSON" peak_anon_bytes)
            anon+=("$((inside > outside ? inside : outside))")
            if [[ -z $reference ]]; then
                reference="$OUT/$name"
            elif ! cmp -s "$reference/mismatches.csv" "$OUT/$name/mismatches.csv" ||
                 ! cmp -s "$reference/reconciliation.csv" "$OUT/$name/reconciliation.csv"; then
                fail reconcile "runs at --memory $memory gave different outputs"
                ok=0
            fi
            for truth in mismatches.csv reconciliation.csv; do
                if [[ -f $GEN_DIR/expected/$truth ]] && ! cmp -s "$GEN_DIR/expected/$truth" "$OUT/$name/$truth"; then
                    fail reconcile "$truth differs from the generator's ground truth (--memory $memory, run $i)"
                    ok=0
                fi
            done
            say "settle --memory $memory run $i: ${walls[-1]} s wall (map $(json "$summary" run.stage_seconds.map) s," \
                "reduce $(json "$summary" run.stage_seconds.reduce) s), peak anonymous $(mib "${anon[-1]}") MiB," \
                "$(json "$summary" result.reconciliation.mismatches) mismatches"
        done
        MEASURE_OPTIONS=()
        ((${#walls[@]})) || { result reconcile "settle --memory $memory" "FAILED"; continue; }
        local best median peak budget bound
        read -r best median < <(best_median "${walls[@]}")
        peak=$(printf '%s\n' "${anon[@]}" | sort -g | tail -1)
        budget=$(json "$reference/summary.json" run.memory_bytes)
        bound=$((budget + MEM_ALLOWANCE_MIB * 1048576))
        [[ -f $GEN_DIR/expected/mismatches.csv ]] && ((ok)) && say "mismatches.csv and reconciliation.csv: byte-identical to the ground truth"
        say "settle --memory $memory: best $best s, median $median s; peak anonymous $(mib "$peak") MiB," \
            "bound $(mib "$bound") MiB -> $( ((peak <= bound)) && echo within || echo OVER)"
        result reconcile "settle --memory $memory: best / median, s" "$best / $median"
        result reconcile "settle --memory $memory: peak anonymous / bound, MiB" "$(mib "$peak") / $(mib "$bound")"
        ((peak <= bound)) || fail reconcile "peak anonymous $(mib "$peak") MiB over the bound $(mib "$bound") MiB at --memory $memory"

        [[ $SKIP_DUCKDB == 1 ]] && continue
        local limit=${memory/MiB/MB}; limit=${limit/GiB/GB}
        local mode
        for mode in $RECON_DUCKDB_MODES; do
            local d_walls=() d_rss=()
            for ((i = 1; i <= RUNS; i++)); do
                local dname="reconcile-duckdb-$mode-$memory-$i"
                rm -rf "$OUT/$dname"; mkdir -p "$OUT/$dname"
                measure "$LOGS/$dname.measure.json" --stderr "$LOGS/$dname.stderr" -- \
                    "$VENV/bin/python" "$BENCH_DIR/duckdb_reconcile.py" "$file" "$ledger" "$OUT/$dname" "$WORKERS" "$limit" "$mode"
                check_run reconcile "$LOGS/$dname.measure.json" "$LOGS/$dname.stderr" "DuckDB ($mode, $limit) run $i" || continue
                d_walls+=("$(json "$LOGS/$dname.measure.json" wall_s)")
                d_rss+=("$(json "$LOGS/$dname.measure.json" max_rss_bytes)")
                say "duckdb $mode memory_limit $limit run $i: ${d_walls[-1]} s wall, peak RSS $(mib "${d_rss[-1]}") MiB ($(tail -1 "$LOGS/$dname.stderr" | sed 's/^duckdb [^:]*: //'))"
                rm -rf "$OUT/$dname"
            done
            ((${#d_walls[@]})) || continue
            local d_best d_median
            read -r d_best d_median < <(best_median "${d_walls[@]}")
            local ratio_best ratio_median
            ratio_best=$(calc 'sprintf("%.2f", d / s)' "d=$d_best" "s=$best")
            ratio_median=$(calc 'sprintf("%.2f", d / s)' "d=$d_median" "s=$median")
            say "duckdb $mode, memory_limit $limit: best $d_best s, median $d_median s -> DuckDB/settle ${ratio_best}x best, ${ratio_median}x median"
            result reconcile "DuckDB $mode $limit: best / median, s" "$d_best / $d_median"
            result reconcile "ratio DuckDB $mode / settle at $memory (best, median)" "${ratio_best}x, ${ratio_median}x"
        done
    done
}
