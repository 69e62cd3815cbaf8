# shellcheck shell=bash
# tools/bench/visa.sh: the visa section, `settle aggregate --layout visa-ctf` on a generated Visa CTF
# file (ASCII, LF), next to the reference layout on its own file in the same run, and DuckDB on the
# Visa file (a window function numbers each transaction's TCRs, TCR 1's merchant joins its TCR 0).
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: Visa CTF vs the reference layout, and vs DuckDB ----------------------------------------
section_visa() {
    local entries=${VISA_RECORDS:-$RECORDS}
    heading "Visa: settle aggregate --layout visa-ctf ($entries transactions) vs --layout reference ($RECORDS records)" \
        "and DuckDB, $WORKERS workers, $RUNS runs"
    generate main "$RECORDS" "$MERCHANTS"
    local ref_dir=$GEN_DIR
    generate_layout visa visa-ctf settlement.ctf transactions "$entries" "$VISA_MERCHANTS"
    local dir=$GEN_DIR file="$GEN_DIR/settlement.ctf" truth="$GEN_DIR/expected/totals.csv"
    [[ -n $GENERATE_S ]] &&
        result visa "generate $entries transactions, s (transactions/s)" "$GENERATE_S ($(millions "$(rate "$entries" "$GENERATE_S")"))"
    local lines batches bytes
    read -r lines batches < <(json "$dir/expected/summary.json" records batches | paste -sd' ')
    bytes=$(stat -c %s "$file")
    say "Visa file: $entries transactions, $batches batches, $lines TCRs, $(mib "$bytes") MiB"
    warm "$ref_dir/settlement.dat"; warm "$file"; warm "$file"

    reference_yardstick visa "$ref_dir"
    layout_runs visa visa-ctf "$file" "$dir" || return
    local best=$L_BEST median=$L_MEDIAN max_rss=$L_MAX_RSS ok=$L_OK r_best=$R_BEST
    local entry_rate line_rate
    entry_rate=$(rate "$entries" "$best")
    line_rate=$(rate "$lines" "$best")
    say "settle --layout visa-ctf: best $best s, median $median s; $(millions "$entry_rate") transactions/s," \
        "$(millions "$line_rate") records/s, $(calc 'sprintf("%.0f", b / s / 1048576)' "b=$bytes" "s=$best") MiB/s (best); peak RSS $(mib "$max_rss") MiB"
    result visa "visa: settle wall best / median, s" "$best / $median"
    result visa "visa: transactions/s, records/s (best)" "$(millions "$entry_rate"), $(millions "$line_rate")"
    result visa "visa: settle peak RSS, MiB" "$(mib "$max_rss")"
    result visa "visa: totals vs ground truth, exit, controls" "$( ((ok)) && echo "byte-identical, 0, all passed" || echo MISMATCH)"
    if [[ -n $r_best ]]; then
        local share
        share=$(calc 'sprintf("%.0f%%", 100 * (l / b) / (r / rb))' "l=$lines" "b=$best" "r=$RECORDS" "rb=$r_best")
        say "visa records/s as a share of the reference layout's records/s: $share"
        result visa "visa records/s vs reference records/s" "$share"
        # The issue's target: at least the reference layout's bytes/s.
        local bytes_share
        bytes_share=$(calc 'sprintf("%.0f%%", 100 * (v / b) / (r / rb))' "v=$bytes" "b=$best" "r=$(stat -c %s "$ref_dir/settlement.dat")" "rb=$r_best")
        say "visa bytes/s as a share of the reference layout's bytes/s: $bytes_share"
        result visa "visa bytes/s vs reference bytes/s" "$bytes_share"
    fi

    duckdb_runs visa duckdb_visa.py "$file" "$truth" "$entries" transactions "$best" "$median"
}
