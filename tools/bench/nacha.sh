# shellcheck shell=bash
# tools/bench/nacha.sh: the nacha section, `settle aggregate --layout nacha` on a generated NACHA
# file, next to the reference layout on its own file in the same run, and DuckDB on the NACHA file
# (a window function carries each batch header's company onto its entries).
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# generate_nacha NAME ENTRIES MERCHANTS: sets GEN_DIR to DATA/NAME holding settlement.ach and
# expected/, reusing an earlier file when entries, merchants, seed and binary are the same.
generate_nacha() {
    local name=$1 entries=$2 merchants=$3
    GEN_DIR="$DATA/$name"
    NACHA_GENERATE_S=""
    local stamp
    stamp="nacha $entries $merchants $SEED $(sha256sum "$BIN" | cut -c1-16)"
    if [[ -f $GEN_DIR/stamp && $(cat "$GEN_DIR/stamp") == "$stamp" && -f $GEN_DIR/settlement.ach ]]; then
        say "reusing $GEN_DIR/settlement.ach ($entries entries, $merchants merchants)"
        return
    fi
    rm -rf "$GEN_DIR"
    mkdir -p "$GEN_DIR"
    local started=$EPOCHREALTIME
    "$BIN" generate --layout nacha --records "$entries" --merchants "$merchants" --seed "$SEED" --out "$GEN_DIR" \
        2>"$LOGS/generate-$name.log" ||
        { cat "$LOGS/generate-$name.log" >&2; die "settle generate --layout nacha failed for $name"; }
    [[ -f $GEN_DIR/settlement.ach && -f $GEN_DIR/expected/totals.csv && -f $GEN_DIR/expected/summary.json ]] ||
        die "settle generate wrote no settlement.ach or expected/ in $GEN_DIR"
    echo "$stamp" >"$GEN_DIR/stamp"
    NACHA_GENERATE_S=$(calc 'sprintf("%.1f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    say "generated $GEN_DIR/settlement.ach: $entries entries, $merchants merchants, seed $SEED," \
        "$(mib "$(stat -c %s "$GEN_DIR/settlement.ach")") MiB in $NACHA_GENERATE_S s ($(tail -1 "$LOGS/generate-$name.log" | sed 's/.*(\(.*\))$/\1/'))"
}

# ---- section: NACHA vs the reference layout, and vs DuckDB ----------------------------------------
section_nacha() {
    local entries=${NACHA_RECORDS:-$((RECORDS < NACHA_MAX_ENTRIES ? RECORDS : NACHA_MAX_ENTRIES))}
    heading "NACHA: settle aggregate --layout nacha ($entries entries) vs --layout reference ($RECORDS records)" \
        "and DuckDB, $WORKERS workers, $RUNS runs"
    generate main "$RECORDS" "$MERCHANTS"
    local ref_dir=$GEN_DIR
    generate_nacha nacha "$entries" "$NACHA_MERCHANTS"
    local dir=$GEN_DIR file="$GEN_DIR/settlement.ach" truth="$GEN_DIR/expected/totals.csv"
    [[ -n $NACHA_GENERATE_S ]] &&
        result nacha "generate $entries entries, s (entries/s)" "$NACHA_GENERATE_S ($(millions "$(rate "$entries" "$NACHA_GENERATE_S")"))"
    local lines batches addenda bytes
    read -r lines batches addenda < <(json "$dir/expected/summary.json" lines batches addenda | paste -sd' ')
    bytes=$(stat -c %s "$file")
    say "NACHA file: $entries entries, $addenda addenda, $batches batches" \
        "($(json "$dir/expected/summary.json" iat_batches) IAT, $(json "$dir/expected/summary.json" adv_batches) ADV)," \
        "$lines lines, $(mib "$bytes") MiB"
    warm "$ref_dir/settlement.dat"; warm "$file"; warm "$file"

    # The reference layout on its own file, in the same run: the yardstick.
    local r_walls=() r_ok=1 i
    for ((i = 1; i <= RUNS; i++)); do
        run_settle "nacha-ref-$i" "$ref_dir/settlement.dat" "$OUT/nacha-ref" --workers "$WORKERS" || { r_ok=0; continue; }
        check_settle_totals nacha "$OUT/nacha-ref" "$ref_dir" || r_ok=0
        r_walls+=("$(json "$M_JSON" wall_s)")
        say "settle --layout reference run $i: ${r_walls[-1]} s wall"
    done
    local r_best="" r_median
    if ((${#r_walls[@]})); then
        read -r r_best r_median < <(best_median "${r_walls[@]}")
        say "settle --layout reference: best $r_best s, median $r_median s; $(millions "$(rate "$RECORDS" "$r_best")") records/s (best)"
        result nacha "reference: settle wall best / median, s" "$r_best / $r_median"
        result nacha "reference: records/s (best)" "$(millions "$(rate "$RECORDS" "$r_best")")"
    fi

    # settle --layout nacha: exit 0 is required (check_run), totals byte-identical, no failed control.
    local walls=() rss=() maps=() ok=1
    for ((i = 1; i <= RUNS; i++)); do
        local name="nacha-settle-$i" outdir="$OUT/nacha-settle"
        rm -rf "$outdir"
        M_JSON="$LOGS/$name.measure.json"
        measure "$M_JSON" --stderr "$LOGS/$name.stderr" -- \
            "$BIN" aggregate "$file" --layout nacha --out "$outdir" --workers "$WORKERS"
        check_run nacha "$M_JSON" "$LOGS/$name.stderr" "settle aggregate --layout nacha run $i" || { ok=0; continue; }
        check_settle_totals nacha "$outdir" "$dir" || ok=0
        local failed
        failed=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["result"]["files"][0]["checks_failed"])' \
            "$outdir/summary.json" 2>/dev/null || echo missing)
        if [[ $failed != 0 ]]; then
            fail nacha "settle --layout nacha run $i: checks_failed = $failed (expected 0: every control of the file holds)"
            ok=0
        fi
        walls+=("$(json "$M_JSON" wall_s)")
        rss+=("$(json "$M_JSON" max_rss_bytes)")
        maps+=("$(json "$outdir/summary.json" run.stage_seconds.map)")
        say "settle --layout nacha run $i: ${walls[-1]} s wall, map ${maps[-1]} s, peak RSS $(mib "${rss[-1]}") MiB"
    done
    ((${#walls[@]})) || { result nacha "settle --layout nacha" "FAILED"; return; }
    local best median max_rss
    read -r best median < <(best_median "${walls[@]}")
    max_rss=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
    ((ok)) && say "settle --layout nacha: totals.csv byte-identical to the ground truth, exit 0, no failed control, in all $RUNS runs"
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

    if [[ $SKIP_DUCKDB == 1 ]]; then
        say "DuckDB skipped (--no-duckdb)"
        return
    fi
    local d_walls=() d_queries=() d_rss=() d_ok=1
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$OUT/duckdb-nacha.csv"
        mkdir -p "$OUT"
        local log="$LOGS/nacha-duckdb-$i"
        measure "$log.measure.json" --stderr "$log.stderr" -- \
            "$VENV/bin/python" "$BENCH_DIR/duckdb_nacha.py" "$file" "$OUT/duckdb-nacha.csv" "$WORKERS"
        check_run nacha "$log.measure.json" "$log.stderr" "DuckDB run $i" || { d_ok=0; continue; }
        if ! "$PYTHON" "$BENCH_DIR/compare_totals.py" "$truth" "$OUT/duckdb-nacha.csv" "duckdb nacha run $i" >"$log.compare"; then
            cat "$log.compare" >&2
            fail nacha "DuckDB totals differ from the ground truth (run $i)"
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
    say "duckdb: best $d_best s, median $d_median s (query alone: best $q_best s); $(millions "$(rate "$entries" "$d_best")") entries/s;" \
        "peak RSS $(mib "$d_max_rss") MiB; ratio DuckDB/settle ${ratio_best}x (best), ${ratio_median}x (median)"
    result nacha "duckdb wall best / median, s (query alone)" "$d_best / $d_median ($q_best)"
    result nacha "duckdb entries/s (best)" "$(millions "$(rate "$entries" "$d_best")")"
    result nacha "duckdb peak RSS, MiB" "$(mib "$d_max_rss")"
    result nacha "duckdb totals vs ground truth" "$( ((d_ok)) && echo equal || echo MISMATCH)"
    result nacha "ratio DuckDB/settle on NACHA (best, median)" "${ratio_best}x, ${ratio_median}x"
}
