#!/usr/bin/env bash
# Runs the conformance suite (Tests/EndToEndTests/ConformanceTests.swift: `settle aggregate` on every
# real-world sample in ../shared/realworld) and prints its results as the Markdown table of the
# "Real-world formats" page (docs/formats.md). Exits with the suite's status.
#   tools/conformance.sh                  # build, run, print the table
#   tools/conformance.sh --update-readme  # the same, and rewrite the table in docs/formats.md
#   tools/conformance.sh --no-build       # reuse the last `swift build --build-tests`
set -uo pipefail
cd "$(dirname "$0")/.."
build=1 update=0
for argument in "$@"; do
  case "$argument" in
    --no-build) build=0 ;;
    --update-readme) update=1 ;;
    *) echo "usage: tools/conformance.sh [--no-build] [--update-readme]" >&2; exit 2 ;;
  esac
done
if [ ! -d ../shared/realworld ]; then
  echo "conformance: ../shared/realworld is absent; nothing to run" >&2
  exit 0
fi
if [ "$build" = 1 ]; then
  swift build --build-tests >&2 || exit 2
fi
results=$(mktemp -d "${TMPDIR:-/tmp}/settle-conformance.XXXXXX")
trap 'rm -rf "$results"' EXIT
SETTLE_CONFORMANCE_RESULTS="$results" swift test --skip-build --filter ConformanceTests >"$results/test.log" 2>&1
status=$?
{
  echo "| file | layout | README | expected | got | totals | agrees |"
  echo "|---|---|---|---|---|---|---|"
  cat "$results"/[0-9]*.md 2>/dev/null
  rows=$(cat "$results"/[0-9]*.md 2>/dev/null | wc -l)
  agree=$(cat "$results"/[0-9]*.md 2>/dev/null | grep -c '| ✔[^|]*|$')
  gaps=$(cat "$results"/[0-9]*.md 2>/dev/null | grep -c '| ✘ known gap |$')
  echo
  echo "$rows rows: $agree as the row expects, $gaps known gaps, $((rows - agree - gaps)) otherwise."
} >"$results/table.md"
cat "$results/table.md"
echo
grep -E 'Test run with' "$results/test.log" | sed 's/^/suite: /' || tail -5 "$results/test.log"
if [ "$update" = 1 ]; then
  if [ "$status" -ne 0 ]; then
    echo "conformance: the suite failed; docs/formats.md left as it was" >&2
  else
    python3 - "$results/table.md" <<'PY'
import pathlib, re, sys
readme = pathlib.Path("docs/formats.md")
table = pathlib.Path(sys.argv[1]).read_text()
text = readme.read_text()
pattern = re.compile(r"(<!-- conformance:begin[^\n]*-->\n).*?(<!-- conformance:end -->)", re.S)
if not pattern.search(text):
    sys.exit("conformance: docs/formats.md has no conformance:begin/end markers")
readme.write_text(pattern.sub(lambda m: m.group(1) + table + m.group(2), text, count=1))
print("conformance: docs/formats.md table rewritten", file=sys.stderr)
PY
  fi
fi
exit $status
