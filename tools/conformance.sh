#!/usr/bin/env bash
# Runs the conformance suite (Tests/EndToEndTests/ConformanceTests.swift: `settle aggregate` on every
# real-world sample in ../shared/realworld) and prints its results as the Markdown table of the
# README's "Real-world formats" section. Exits with the suite's status.
#   tools/conformance.sh            # build, run, print the table
#   tools/conformance.sh --no-build # reuse the last `swift build --build-tests`
set -uo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/realworld ]; then
  echo "conformance: ../shared/realworld is absent; nothing to run" >&2
  exit 0
fi
if [ "${1:-}" != "--no-build" ]; then
  swift build --build-tests >&2 || exit 2
fi
results=$(mktemp -d "${TMPDIR:-/tmp}/settle-conformance.XXXXXX")
trap 'rm -rf "$results"' EXIT
SETTLE_CONFORMANCE_RESULTS="$results" swift test --skip-build --filter ConformanceTests >"$results/test.log" 2>&1
status=$?
echo "| file | layout | README | expected | got | totals | agrees |"
echo "|---|---|---|---|---|---|---|"
cat "$results"/[0-9]*.md 2>/dev/null
echo
grep -E 'Test run with' "$results/test.log" | sed 's/^/suite: /' || tail -5 "$results/test.log"
exit $status
