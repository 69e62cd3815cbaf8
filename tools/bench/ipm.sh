# shellcheck shell=bash
# tools/bench/ipm.sh: the ipm section, `settle aggregate --layout mastercard-ipm` on a generated
# blocked EBCDIC IPM file (IPM_MESSAGES detail messages, default RECORDS), next to the reference
# layout on its own file in the same run, and cardutil (adelosa/cardutil, pip) on a sample of the
# same file (IPM_CARDUTIL_SAMPLE messages: its rate, extrapolated, is said so). The RDW walk is the
# plan stage: its time is reported next to the map stage's.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

section_ipm() {
    local messages=${IPM_MESSAGES:-$RECORDS} sample=${IPM_CARDUTIL_SAMPLE:-20000}
    heading "IPM: settle aggregate --layout mastercard-ipm ($messages details, blocked EBCDIC) vs --layout reference" \
        "($RECORDS records) and cardutil on a $sample-message sample, $WORKERS workers, $RUNS runs"
    generate main "$RECORDS" "$MERCHANTS"
    local ref_dir=$GEN_DIR dir="$DATA/ipm"
    local stamp
    stamp="ipm $messages $MERCHANTS $SEED $(sha256sum "$BIN" | cut -c1-16)"
    if [[ ! -f $dir/stamp || $(cat "$dir/stamp") != "$stamp" ]]; then
        rm -rf "$dir"
        "$BIN" generate --layout mastercard-ipm --records "$messages" --merchants "$MERCHANTS" --seed "$SEED" --out "$dir" \
            2>"$LOGS/generate-ipm.log" || { cat "$LOGS/generate-ipm.log" >&2; die "settle generate --layout mastercard-ipm failed"; }
        echo "$stamp" >"$dir/stamp"
        say "$(tail -1 "$LOGS/generate-ipm.log")"
    fi
    local file="$dir/settlement.ipm" bytes total
    bytes=$(stat -c %s "$file")
    total=$(json "$dir/expected/summary.json" messages)
    say "IPM file: $total messages, $(mib "$bytes") MiB"
    warm "$ref_dir/settlement.dat"; warm "$file"

    local r_walls=() i
    for ((i = 1; i <= RUNS; i++)); do
        run_settle "ipm-ref-$i" "$ref_dir/settlement.dat" "$OUT/ipm-ref" --workers "$WORKERS" || continue
        check_settle_totals ipm "$OUT/ipm-ref" "$ref_dir" || true
        r_walls+=("$(json "$M_JSON" wall_s)")
    done
    local r_best="" r_median
    if ((${#r_walls[@]})); then
        read -r r_best r_median < <(best_median "${r_walls[@]}")
        result ipm "reference: settle wall best / median, s; MB/s" \
            "$r_best / $r_median; $(calc 'sprintf("%.0f", b / s / 1e6)' "b=$(stat -c %s "$ref_dir/settlement.dat")" "s=$r_best")"
    fi

    local walls=() plans=() maps=() ok=1
    for ((i = 1; i <= RUNS; i++)); do
        local name="ipm-settle-$i" outdir="$OUT/ipm-settle"
        rm -rf "$outdir"
        M_JSON="$LOGS/$name.measure.json"
        measure "$M_JSON" --stderr "$LOGS/$name.stderr" -- \
            "$BIN" aggregate "$file" --layout mastercard-ipm --out "$outdir" --workers "$WORKERS"
        check_run ipm "$M_JSON" "$LOGS/$name.stderr" "settle aggregate --layout mastercard-ipm run $i" || { ok=0; continue; }
        check_settle_totals ipm "$outdir" "$dir" || ok=0
        walls+=("$(json "$M_JSON" wall_s)")
        plans+=("$(json "$outdir/summary.json" run.stage_seconds.plan)")
        maps+=("$(json "$outdir/summary.json" run.stage_seconds.map)")
        say "settle --layout mastercard-ipm run $i: ${walls[-1]} s wall, plan (RDW walk) ${plans[-1]} s, map ${maps[-1]} s"
    done
    ((${#walls[@]})) || { result ipm "settle --layout mastercard-ipm" "FAILED"; return; }
    local best median
    read -r best median < <(best_median "${walls[@]}")
    result ipm "ipm: settle wall best / median, s" "$best / $median"
    result ipm "ipm: messages/s, MB/s (best)" "$(millions "$(rate "$total" "$best")"), $(calc 'sprintf("%.0f", b / s / 1e6)' "b=$bytes" "s=$best")"
    result ipm "ipm: plan (RDW walk) / map stage, s (last run)" "${plans[-1]} / ${maps[-1]}"
    result ipm "ipm: totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"

    # cardutil on the first $sample messages of the same file (cut at a message boundary, unblocked copy).
    local cvenv="$SCRATCH/cardutil-venv"
    if [[ ! -x $cvenv/bin/python ]] && ! { "$PYTHON" -m venv "$cvenv" && "$cvenv/bin/python" -m pip install -q cardutil; }; then
        say "cardutil: could not pip-install it (PyPI unreachable?): skipped"
        return
    fi
    "$cvenv/bin/python" - "$file" "$OUT/ipm-sample.ipm" "$sample" <<'PY'
import sys
from cardutil import mciipm
with open(sys.argv[1], "rb") as source, open(sys.argv[2], "wb") as out:
    writer = mciipm.VbsWriter(out, blocked=True)
    for index, record in enumerate(mciipm.VbsReader(source, blocked=True)):
        if index >= int(sys.argv[3]):
            break
        writer.write(record)
    writer.close()
PY
    local started=$EPOCHREALTIME
    "$cvenv/bin/python" "$REPO_DIR/tools/ipm/cardutil_ipm.py" totals "$OUT/ipm-sample.ipm" >/dev/null 2>"$LOGS/ipm-cardutil.log"
    local seconds cardutil_rate settle_rate
    seconds=$(calc 'sprintf("%.2f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    cardutil_rate=$(rate "$sample" "$seconds")
    settle_rate=$(rate "$total" "$best")
    result ipm "cardutil: $sample messages in s (messages/s; extrapolated to $total: s)" \
        "$seconds ($cardutil_rate; $(calc 'sprintf("%.0f", n / r)' "n=$total" "r=$cardutil_rate"))"
    result ipm "ipm: settle messages/s / cardutil messages/s" "$(calc 'sprintf("%.0fx", a / b)' "a=$settle_rate" "b=$cardutil_rate")"
}
