# shellcheck shell=bash
# tools/bench/timing.sh: the duckdb section (settle vs DuckDB end to end) and the scaling section
# (map phase with 1 and 2 workers).
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: settle vs DuckDB end to end -----------------------------------------------------
section_duckdb() {
    heading "end to end: settle vs DuckDB ($RECORDS records, $MERCHANTS merchants, $WORKERS workers, $RUNS runs)"
    generate main "$RECORDS" "$MERCHANTS"
    local file="$GEN_DIR/settlement.dat" truth="$GEN_DIR/expected/totals.csv"
    local bytes
    bytes=$(stat -c %s "$file")
    warm "$file"; warm "$file"

    local floors=() i
    for i in 1 2 3; do
        measure "$LOGS/cat.json" --stdout /dev/null -- cat "$file"
        floors+=("$(json "$LOGS/cat.json" wall_s)")
    done
    local cat_best
    read -r cat_best _ < <(best_median "${floors[@]}")
    say "cat floor (cat file > /dev/null, page cache warm, best of 3): $cat_best s," \
        "$(calc 'sprintf("%.2f", b / s / 1073741824)' "b=$bytes" "s=$cat_best") GiB/s, $(millions "$(rate "$RECORDS" "$cat_best")") records/s"
    result duckdb "cat floor, s" "$cat_best"

    local walls=() rss=() anon=() maps=() ok=1
    for ((i = 1; i <= RUNS; i++)); do
        run_settle "e2e-settle-$i" "$file" "$OUT/e2e-settle" --workers "$WORKERS" || { ok=0; continue; }
        check_settle_totals duckdb "$OUT/e2e-settle" "$GEN_DIR" || ok=0
        local wall maxrss
        wall=$(json "$M_JSON" wall_s); maxrss=$(json "$M_JSON" max_rss_bytes)
        walls+=("$wall"); rss+=("$maxrss")
        anon+=("$(json "$S_JSON" run.peak_anonymous_bytes)")
        maps+=("$(json "$S_JSON" run.stage_seconds.map)")
        say "settle run $i: $wall s wall, map $(json "$S_JSON" run.stage_seconds.map) s," \
            "peak RSS $(mib "$maxrss") MiB, peak anonymous $(mib "${anon[-1]}") MiB"
    done
    ((${#walls[@]})) || { result duckdb "settle" "FAILED"; return; }
    local s_best s_median
    read -r s_best s_median < <(best_median "${walls[@]}")
    local s_rss s_anon
    s_rss=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
    s_anon=$(printf '%s\n' "${anon[@]}" | sort -g | tail -1)
    ((ok)) && say "settle totals.csv: byte-identical to the ground truth in all $RUNS runs"
    say "settle:  best $s_best s, median $s_median s; $(millions "$(rate "$RECORDS" "$s_best")") records/s (best);" \
        "peak RSS $(mib "$s_rss") MiB, peak anonymous $(mib "$s_anon") MiB"
    result duckdb "settle wall best / median, s" "$s_best / $s_median"
    result duckdb "settle records/s (best)" "$(millions "$(rate "$RECORDS" "$s_best")")"
    result duckdb "settle peak RSS / anonymous, MiB" "$(mib "$s_rss") / $(mib "$s_anon")"
    result duckdb "settle totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"

    if [[ -n $LIMIT_BIN ]]; then
        local c_best
        c_best=$(limit_best duckdb "$file" "$GEN_DIR" "$WORKERS")
        if [[ -n $c_best ]]; then
            local c_ratio
            c_ratio=$(calc 'sprintf("%.2f", s / c)' "s=$s_best" "c=$c_best")
            say "C limit program ($WORKERS threads): best $c_best s, totals.csv byte-identical to the ground truth;" \
                "settle/C wall time: ${c_ratio}x (target: at most 1.25x)"
            result duckdb "C limit wall best ($WORKERS threads), s" "$c_best"
            result duckdb "ratio settle/C (best; target <= 1.25x)" "${c_ratio}x"
        fi
    fi
    if [[ $SKIP_DUCKDB == 1 ]]; then
        say "DuckDB skipped (--no-duckdb)"
        return
    fi
    local d_walls=() d_rss=() d_queries=() d_ok=1
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$OUT/duckdb-totals.csv"
        mkdir -p "$OUT"
        measure "$LOGS/e2e-duckdb-$i.measure.json" --stderr "$LOGS/e2e-duckdb-$i.stderr" -- \
            "$VENV/bin/python" "$BENCH_DIR/duckdb_totals.py" "$file" "$OUT/duckdb-totals.csv" "$WORKERS"
        if ! check_run duckdb "$LOGS/e2e-duckdb-$i.measure.json" "$LOGS/e2e-duckdb-$i.stderr" "DuckDB run $i"; then
            d_ok=0
            continue
        fi
        if ! "$PYTHON" "$BENCH_DIR/compare_totals.py" "$truth" "$OUT/duckdb-totals.csv" "duckdb run $i" >"$LOGS/e2e-duckdb-$i.compare"; then
            cat "$LOGS/e2e-duckdb-$i.compare" >&2
            fail duckdb "DuckDB totals differ from the ground truth (run $i)"
            d_ok=0
        fi
        d_walls+=("$(json "$LOGS/e2e-duckdb-$i.measure.json" wall_s)")
        d_rss+=("$(json "$LOGS/e2e-duckdb-$i.measure.json" max_rss_bytes)")
        d_queries+=("$(sed -n 's/.*: query \([0-9.]*\) s.*/\1/p' "$LOGS/e2e-duckdb-$i.stderr")")
        say "duckdb run $i: ${d_walls[-1]} s wall ($(tail -1 "$LOGS/e2e-duckdb-$i.stderr" | sed 's/^duckdb [^:]*: //')), peak RSS $(mib "${d_rss[-1]}") MiB"
    done
    ((${#d_walls[@]})) || return
    local d_best d_median d_max_rss
    read -r d_best d_median < <(best_median "${d_walls[@]}")
    d_max_rss=$(printf '%s\n' "${d_rss[@]}" | sort -g | tail -1)
    ((d_ok)) && say "duckdb totals: equal to the ground truth after normalising, in all $RUNS runs"
    say "duckdb:  best $d_best s, median $d_median s; $(millions "$(rate "$RECORDS" "$d_best")") records/s (best); peak RSS $(mib "$d_max_rss") MiB"
    local ratio_best ratio_median
    ratio_best=$(calc 'sprintf("%.2f", d / s)' "d=$d_best" "s=$s_best")
    ratio_median=$(calc 'sprintf("%.2f", d / s)' "d=$d_median" "s=$s_median")
    say "ratio DuckDB/settle wall time: ${ratio_best}x (best), ${ratio_median}x (median) (target: at least 4x)"
    local q_best
    read -r q_best _ < <(best_median "${d_queries[@]}")
    say "duckdb query alone (without starting Python and importing duckdb): best $q_best s"
    result duckdb "duckdb wall best / median, s" "$d_best / $d_median"
    result duckdb "duckdb query alone (best), s" "$q_best"
    result duckdb "duckdb records/s (best)" "$(millions "$(rate "$RECORDS" "$d_best")")"
    result duckdb "duckdb peak RSS, MiB" "$(mib "$d_max_rss")"
    result duckdb "duckdb totals vs ground truth" "$( ((d_ok)) && echo equal || echo MISMATCH)"
    result duckdb "ratio DuckDB/settle (best, median)" "${ratio_best}x, ${ratio_median}x"
}

# ---- section: map-phase scaling with workers --------------------------------------------------
section_scaling() {
    heading "scaling: map phase with --workers $SCALING_WORKERS ($RECORDS records, $RUNS runs each)"
    generate main "$RECORDS" "$MERCHANTS"
    local file="$GEN_DIR/settlement.dat"
    warm "$file"
    local workers first_rate="" i
    for workers in $SCALING_WORKERS; do
        local maps=() walls=() records_read=""
        for ((i = 1; i <= RUNS; i++)); do
            run_settle "scaling-w$workers-$i" "$file" "$OUT/scaling" --workers "$workers" || continue
            check_settle_totals scaling "$OUT/scaling" "$GEN_DIR" || true
            maps+=("$(json "$S_JSON" run.stage_seconds.map)")
            walls+=("$(json "$M_JSON" wall_s)")
            records_read=$(json "$S_JSON" result.records_read)
        done
        ((${#maps[@]})) || { result scaling "--workers $workers" "FAILED"; continue; }
        local map_best map_median wall_best
        read -r map_best map_median < <(best_median "${maps[@]}")
        read -r wall_best _ < <(best_median "${walls[@]}")
        local map_rate
        map_rate=$(rate "$records_read" "$map_best")
        say "--workers $workers: map best $map_best s (median $map_median s) for $records_read records:" \
            "$(millions "$map_rate") records/s in map; end to end best $wall_best s"
        result scaling "map records/s, --workers $workers" "$(millions "$map_rate") (map $map_best s, wall $wall_best s)"
        if [[ -z $first_rate ]]; then
            first_rate=$map_rate
        else
            local speedup
            speedup=$(calc 'sprintf("%.2f", b / a)' "a=$first_rate" "b=$map_rate")
            say "map speedup, --workers $workers vs ${SCALING_WORKERS%% *}: ${speedup}x"
            result scaling "map speedup $workers vs ${SCALING_WORKERS%% *} workers" "${speedup}x"
        fi
    done
    [[ -n $LIMIT_BIN ]] || return
    # The C limit program with as many threads, end to end (it has no separate map phase).
    local threads c_first="" c_best
    for threads in $SCALING_WORKERS; do
        c_best=$(limit_best scaling "$file" "$GEN_DIR" "$threads")
        [[ -n $c_best ]] || continue
        say "C limit program, $threads threads: best $c_best s end to end"
        result scaling "C limit wall, $threads threads, s" "$c_best"
        if [[ -z $c_first ]]; then
            c_first=$c_best
        else
            local c_speedup
            c_speedup=$(calc 'sprintf("%.2f", a / b)' "a=$c_first" "b=$c_best")
            say "C speedup, $threads vs ${SCALING_WORKERS%% *} threads: ${c_speedup}x (settle's second worker must gain at least this)"
            result scaling "C speedup $threads vs ${SCALING_WORKERS%% *} threads" "${c_speedup}x"
        fi
    done
}

