# shellcheck shell=bash
# tools/bench/resume.sh: the resume section, what an interruption costs.
# Sourced by tools/bench/run.sh, which sets the settings and calls these functions.

# ---- section: resume overhead ------------------------------------------------------------------
# 1. An uninterrupted run (--keep-work), timed. 2. The same command again on the completed job:
# it only re-publishes. 3. A fresh run killed with SIGKILL once about half of its partitions have
# markers, then the same command again: how many partitions were redone and how long finishing took.
section_resume() {
    heading "resume: $RECORDS records, $MERCHANTS merchants, $WORKERS workers"
    generate main "$RECORDS" "$MERCHANTS"
    local file="$GEN_DIR/settlement.dat" out="$OUT/resume"
    warm "$file"
    local started full republish
    rm -rf "$out"
    started=$EPOCHREALTIME
    "$BIN" aggregate "$file" --layout reference --out "$out" --workers "$WORKERS" --keep-work --quiet || [[ $? == 1 ]]
    full=$(calc 'sprintf("%.3f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    local partitions
    partitions=$(ls "$out/.settle-work/partitions" | wc -l)
    started=$EPOCHREALTIME
    "$BIN" aggregate "$file" --layout reference --out "$out" --workers "$WORKERS" --keep-work --quiet || [[ $? == 1 ]]
    republish=$(calc 'sprintf("%.3f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    local ok=1
    check_settle_totals resume "$out" "$GEN_DIR" || ok=0
    say "uninterrupted run: $full s ($partitions partitions); the same command on the completed job: $republish s (re-publish only)"

    # Kill at about half way.
    rm -rf "$out"
    "$BIN" aggregate "$file" --layout reference --out "$out" --workers "$WORKERS" --quiet &
    local pid=$! done=0 half=$((partitions / 2))
    while kill -0 "$pid" 2>/dev/null; do
        done=$( (find "$out/.settle-work/partitions" -name marker.json 2>/dev/null || true) | wc -l)
        if ((done >= half)); then break; fi
        sleep 0.005
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    done=$( (find "$out/.settle-work/partitions" -name marker.json 2>/dev/null || true) | wc -l)
    local finish
    started=$EPOCHREALTIME
    "$BIN" aggregate "$file" --layout reference --out "$out" --workers "$WORKERS" --quiet 2>"$LOGS/resume.stderr" || [[ $? == 1 ]]
    finish=$(calc 'sprintf("%.3f", b - a)' "a=$started" "b=$EPOCHREALTIME")
    check_settle_totals resume "$out" "$GEN_DIR" || ok=0
    local resumed redone
    resumed=$(json "$out/summary.json" run.partitions_resumed)
    redone=$((partitions - resumed))
    say "killed with $done of $partitions partitions marked done; the resume found $resumed done, redid $redone, and finished in $finish s (full run $full s)"
    result resume "uninterrupted run, s" "$full"
    result resume "same command on the completed job (re-publish), s" "$republish"
    result resume "kill at half way: partitions done / redone / total" "$resumed / $redone / $partitions"
    result resume "kill at half way: time to finish, s" "$finish"
    result resume "totals vs ground truth" "$( ((ok)) && echo byte-identical || echo MISMATCH)"
}
