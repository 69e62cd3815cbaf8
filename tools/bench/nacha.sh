# shellcheck shell=bash
# tools/bench/nacha.sh: the nacha section, `settle aggregate --layout nacha` on a generated NACHA
# file, next to the reference layout on its own file in the same run, and DuckDB on the NACHA file
# (a window function carries each batch header's company onto its entries).
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: NACHA vs the reference layout, and vs DuckDB ----------------------------------------
section_nacha() {
    local entries=${NACHA_RECORDS:-$((RECORDS < NACHA_MAX_ENTRIES ? RECORDS : NACHA_MAX_ENTRIES))}
    heading "NACHA: settle aggregate --layout nacha ($entries entries) vs --layout reference ($RECORDS records)" \
        "and DuckDB, $WORKERS workers, $RUNS runs"
    generate main "$RECORDS" "$MERCHANTS"
    local ref_dir=$GEN_DIR
    generate_layout nacha nacha settlement.ach entries "$entries" "$NACHA_MERCHANTS"
    local dir=$GEN_DIR file="$GEN_DIR/settlement.ach" truth="$GEN_DIR/expected/totals.csv"
    [[ -n $GENERATE_S ]] &&
        result nacha "generate $entries entries, s (entries/s)" "$GENERATE_S ($(millions "$(rate "$entries" "$GENERATE_S")"))"
    local lines batches addenda bytes
    read -r lines batches addenda < <(json "$dir/expected/summary.json" lines batches addenda | paste -sd' ')
    bytes=$(stat -c %s "$file")
    say "NACHA file: $entries entries, $addenda addenda, $batches batches" \
        "($(json "$dir/expected/summary.json" iat_batches) IAT, $(json "$dir/expected/summary.json" adv_batches) ADV)," \
        "$lines lines, $(mib "$bytes") MiB"
    warm "$ref_dir/settlement.dat"; warm "$file"; warm "$file"

    reference_yardstick nacha "$ref_dir"
    layout_runs nacha nacha "$file" "$dir" || return
    local best=$L_BEST median=$L_MEDIAN max_rss=$L_MAX_RSS ok=$L_OK r_best=$R_BEST
    local entry_rate line_rate
    entry_rate=$(rate "$entries" "$best")
    line_rate=$(rate "$lines" "$best")
    say "settle --layout nacha: best $best s, median $median s; $(millions "$entry_rate") entries/s," \
        "$(millions "$line_rate") lines/s, $(calc 'sprintf("%.0f", b / s / 1048576)' "b=$bytes" "s=$best") MiB/s (best); peak RSS $(mib "$max_rss") MiB"
    result nacha "nacha: settle wall best / median, s" "$best / $median"
    result nacha "nacha: entries/s, lines/s (best)" "$(millions "$entry_rate"), $(millions "$line_rate")"
    result nacha "nacha: settle peak RSS, MiB" "$(mib "$max_rss")"
    result nacha "nacha: totals vs ground truth, exit, controls" "$( ((ok)) && echo "byte-identical, 0, all passed" || echo MISMATCH)"
    if [[ -n $r_best ]]; then
        local share
        share=$(calc 'sprintf("%.0f%%", 100 * (l / b) / (r / rb))' "l=$lines" "b=$best" "r=$RECORDS" "rb=$r_best")
        say "nacha lines/s as a share of the reference layout's records/s: $share"
        result nacha "nacha lines/s vs reference records/s" "$share"
    fi

    duckdb_runs nacha duckdb_nacha.py "$file" "$truth" "$entries" entries "$best" "$median"
}

# reference_yardstick SECTION REF_DIR: the reference layout on its own file in the same run; sets
# R_BEST (empty when no run succeeded).
reference_yardstick() {
    local section=$1 ref_dir=$2
    local r_walls=() r_ok=1 i
    R_BEST=""
    for ((i = 1; i <= RUNS; i++)); do
        run_settle "$section-ref-$i" "$ref_dir/settlement.dat" "$OUT/$section-ref" --workers "$WORKERS" || { r_ok=0; continue; }
        check_settle_totals "$section" "$OUT/$section-ref" "$ref_dir" || r_ok=0
        r_walls+=("$(json "$M_JSON" wall_s)")
        say "settle --layout reference run $i: ${r_walls[-1]} s wall"
    done
    local r_median
    if ((${#r_walls[@]})); then
        read -r R_BEST r_median < <(best_median "${r_walls[@]}")
        say "settle --layout reference: best $R_BEST s, median $r_median s; $(millions "$(rate "$RECORDS" "$R_BEST")") records/s (best)"
        result "$section" "reference: settle wall best / median, s" "$R_BEST / $r_median"
        result "$section" "reference: records/s (best)" "$(millions "$(rate "$RECORDS" "$R_BEST")")"
    fi
}

# layout_runs SECTION LAYOUT FILE DIR: settle aggregate --layout LAYOUT on FILE, RUNS times: exit 0
# required, totals byte-identical to DIR/expected, no failed control. Sets L_BEST, L_MEDIAN,
# L_MAX_RSS and L_OK; fails (return 1) when no run succeeded.
layout_runs() {
    local section=$1 layout=$2 file=$3 dir=$4
    local walls=() rss=() maps=() ok=1 i
    for ((i = 1; i <= RUNS; i++)); do
        local name="$section-settle-$i" outdir="$OUT/$section-settle"
        rm -rf "$outdir"
        M_JSON="$LOGS/$name.measure.json"
        measure "$M_JSON" --stderr "$LOGS/$name.stderr" -- \
            "$BIN" aggregate "$file" --layout "$layout" --out "$outdir" --workers "$WORKERS"
        check_run "$section" "$M_JSON" "$LOGS/$name.stderr" "settle aggregate --layout $layout run $i" || { ok=0; continue; }
        check_settle_totals "$section" "$outdir" "$dir" || ok=0
        local failed
        failed=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["result"]["files"][0]["checks_failed"])' \
            "$outdir/summary.json" 2>/dev/null || echo missing)
        if [[ $failed != 0 ]]; then
            fail "$section" "settle --layout $layout run $i: checks_failed = $failed (expected 0: every control of the file holds)"
            ok=0
        fi
        walls+=("$(json "$M_JSON" wall_s)")
        rss+=("$(json "$M_JSON" max_rss_bytes)")
        maps+=("$(json "$outdir/summary.json" run.stage_seconds.map)")
        say "settle --layout $layout run $i: ${walls[-1]} s wall, map ${maps[-1]} s, peak RSS $(mib "${rss[-1]}") MiB"
    done
    ((${#walls[@]})) || { result "$section" "settle --layout $layout" "FAILED"; return 1; }
    read -r L_BEST L_MEDIAN < <(best_median "${walls[@]}")
    L_MAX_RSS=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
    L_OK=$ok
    ((ok)) && say "settle --layout $layout: totals.csv byte-identical to the ground truth, exit 0, no failed control, in all $RUNS runs"
    return 0
}

# duckdb_runs SECTION SCRIPT FILE TRUTH COUNT UNIT SETTLE_BEST SETTLE_MEDIAN: DuckDB's query SCRIPT on
# FILE, RUNS times, totals against TRUTH, and its ratio to settle's wall times.
duckdb_runs() {
    local section=$1 script=$2 file=$3 truth=$4 entries=$5 unit=$6 best=$7 median=$8
    if [[ $SKIP_DUCKDB == 1 ]]; then
        say "DuckDB skipped (--no-duckdb)"
        return
    fi
    local d_walls=() d_queries=() d_rss=() d_ok=1 i
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$OUT/duckdb-$section.csv"
        mkdir -p "$OUT"
        local log="$LOGS/$section-duckdb-$i"
        measure "$log.measure.json" --stderr "$log.stderr" -- \
            "$VENV/bin/python" "$BENCH_DIR/$script" "$file" "$OUT/duckdb-$section.csv" "$WORKERS"
        check_run "$section" "$log.measure.json" "$log.stderr" "DuckDB run $i" || { d_ok=0; continue; }
        if ! "$PYTHON" "$BENCH_DIR/compare_totals.py" "$truth" "$OUT/duckdb-$section.csv" "duckdb $section run $i" >"$log.compare"; then
            cat "$log.compare" >&2
            fail "$section" "DuckDB totals differ from the ground truth (run $i)"
            d_ok=0
        fi
        d_walls+=("$(json "$log.measure.json" wall_s)")
        d_rss+=("$(json "$log.measure.json" max_rss_bytes)")
        d_queries+=("$(sed -n 's/.*: query \([0-9.]*\) s.*/\1/p' "$log.stderr")")
        say "duckdb run $i: ${d_walls[-1]} s wall (query ${d_queries[-1]} s), peak RSS $(mib "${d_rss[-1]}") MiB"
    done
    ((${#d_walls[@]})) || return
    local d_best d_median q_best d_max_rss
    read -r d_best d_median < <(best_median "${d_walls[@]}")
    read -r q_best _ < <(best_median "${d_queries[@]}")
    d_max_rss=$(printf '%s\n' "${d_rss[@]}" | sort -g | tail -1)
    ((d_ok)) && say "duckdb totals: equal to the ground truth after normalising, in all $RUNS runs"
    local ratio_best ratio_median
    ratio_best=$(calc 'sprintf("%.2f", d / s)' "d=$d_best" "s=$best")
    ratio_median=$(calc 'sprintf("%.2f", d / s)' "d=$d_median" "s=$median")
    say "duckdb: best $d_best s, median $d_median s (query alone: best $q_best s); $(millions "$(rate "$entries" "$d_best")") $unit/s;" \
        "peak RSS $(mib "$d_max_rss") MiB; ratio DuckDB/settle ${ratio_best}x (best), ${ratio_median}x (median)"
    result "$section" "duckdb wall best / median, s (query alone)" "$d_best / $d_median ($q_best)"
    result "$section" "duckdb $unit/s (best)" "$(millions "$(rate "$entries" "$d_best")")"
    result "$section" "duckdb peak RSS, MiB" "$(mib "$d_max_rss")"
    result "$section" "duckdb totals vs ground truth" "$( ((d_ok)) && echo equal || echo MISMATCH)"
    result "$section" "ratio DuckDB/settle on $section (best, median)" "${ratio_best}x, ${ratio_median}x"
}
