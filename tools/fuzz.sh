#!/usr/bin/env bash
# Builds Settle's libFuzzer targets (the package in Fuzz/, with -sanitize=fuzzer,address, in the
# scratch path .build-fuzz so that the normal build is untouched) and runs each for SECONDS
# (default 20), starting from its committed seeds in Fuzz/Corpus/TARGET. Prints per target the
# executions, libFuzzer's coverage (cov: edges, ft: features) and the corpus size; exits 1 if any
# target crashed, leaked, timed out or ran out of memory (the input is kept in
# .build-fuzz/findings/TARGET/ and named in the output: make it a regression test in Tests/).
#   tools/fuzz.sh [SECONDS] [TARGET...]      e.g. tools/fuzz.sh 600, tools/fuzz.sh 60 ledger gzip
# FUZZ_FLAGS: more libFuzzer flags (they win over the defaults), e.g. FUZZ_FLAGS=-max_len=65536.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
all=(layout flat structured ledger gzip spill marker)
[ "$#" -gt 0 ] && targets=("$@") || targets=("${all[@]}")
build=(swift build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address)
echo "== build: ${build[*]}"
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/SettleFuzz"
runs=.build-fuzz/runs
findings=.build-fuzz/findings
# Swift's runtime keeps caches for the life of the process: leak reports would be noise.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:malloc_context_size=8}"
export SWIFT_BACKTRACE=enable=no
failed=0
rows=()
for target in "${targets[@]}"; do
  [ -d "Fuzz/Corpus/$target" ] || { echo "unknown target $target (targets: ${all[*]})"; exit 2; }
  mkdir -p "$runs/$target/corpus" "$findings/$target"
  log="$runs/$target/log.txt"
  echo "== fuzz $target for ${seconds}s"
  dictionary=()
  [ -f "Fuzz/Dictionaries/$target.dict" ] && dictionary=(-dict="Fuzz/Dictionaries/$target.dict")
  set +e
  SETTLE_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    "${dictionary[@]}" ${FUZZ_FLAGS:-} -print_final_stats=1 -artifact_prefix="$findings/$target/" "$runs/$target/corpus" "Fuzz/Corpus/$target" \
    >"$log" 2>&1
  status=$?
  set -e
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  outcome=ok
  if [ "$status" -ne 0 ]; then
    outcome="FAILED (exit $status)"
    failed=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|Fatal error|.*: Fatal error)' "$log" | head -5 | sed 's/^/    /'
    echo "    log: $log"
  fi
  rows+=("$(printf '%-11s %12s %7s %8s %12s  %s' "$target" "${executions:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$outcome")")
done
echo
printf '%-11s %12s %7s %8s %12s  %s\n' target executions cov ft corpus outcome
printf '%s\n' "${rows[@]}"
exit "$failed"
