#!/usr/bin/env bash
# Browser test of the morning report: renders report.html in headless Chromium (Debian's
# `chromium`, installed with apt-get when missing), checks with --dump-dom that summary.json's
# figures are in the rendered page (tools/report_check.py), that the page logs no console message
# (errors, blocked loads and CSP violations all log one; a page with a deliberate error proves the
# check can fail), and takes the PNG screenshot the README shows.
#
# usage: tools/report-test.sh [SCREENSHOT.png]     (default docs/report.png)
# env:   SETTLE_BIN (default: the release build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
screenshot="${1:-docs/report.png}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "report-test: installing chromium" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bin="${SETTLE_BIN:-}"
if [ -z "$bin" ]; then
  swift build -c release --product settle >/dev/null
  bin="$(swift build -c release --show-bin-path)/settle"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/settle-report-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bin="$(realpath "$bin")"
"$bin" generate --records 300000 --merchants 2000 --seed 20261123 --faults 0.0005 --out "$work/night" >/dev/null 2>&1
ledger=()
if "$bin" aggregate --help 2>&1 | grep -q -- "--ledger"; then ledger=(--ledger night/ledger.csv); fi
set +e
(cd "$work" && "$bin" aggregate night/settlement.dat --layout reference --out out --partition-size 4M --quiet "${ledger[@]}")
status=$?
set -e
if [ "$status" -ne 1 ]; then echo "report-test: expected exit 1 (the file has faults), got $status" >&2; exit 1; fi

# Chromium: no sandbox (CI runs as root), no GPU, logs (console messages included) on stderr.
chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
        --enable-logging=stderr --v=0)
page="file://$work/out/report.html"
timeout 120 "${chrome[@]}" --dump-dom "$page" >"$work/dom.html" 2>"$work/chromium.log"
python3 tools/report_check.py "$work/out/summary.json" "$work/dom.html"
if grep -E ":CONSOLE[:(]" "$work/chromium.log"; then
  echo "report-test: the page logged console messages (above)" >&2
  exit 1
fi

# The console check must be able to fail: the same page with a script error and a network load.
sed 's|</main>|<script>throw new Error("deliberate")</script><img src="http://example.invalid/x.png"></main>|' \
  "$work/out/report.html" >"$work/broken.html"
timeout 120 "${chrome[@]}" --dump-dom "file://$work/broken.html" >/dev/null 2>"$work/broken.log"
if ! grep -qE ":CONSOLE[:(]" "$work/broken.log"; then
  echo "report-test: a page with a deliberate error logged no console message: the check cannot fail" >&2
  exit 1
fi

# The screenshot: the top of the report (status, control totals, figures, totals), small.
mkdir -p "$(dirname "$screenshot")"
timeout 120 "${chrome[@]}" --screenshot="$work/report.png" --window-size=960,1250 "$page" >/dev/null 2>&1
size=$(stat -c %s "$work/report.png")
if [ "$size" -gt 204800 ]; then echo "report-test: screenshot is $size bytes, more than 200 KiB" >&2; exit 1; fi
cp "$work/report.png" "$screenshot"
echo "report-test: rendered in Chromium ($(chromium --version 2>/dev/null | head -1)), no console messages; screenshot $screenshot ($size bytes)"
