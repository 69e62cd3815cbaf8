#!/usr/bin/env bash
# The test command: installs what is missing, runs the unit and end-to-end suites (debug build),
# then the large end-to-end tests against a release build of `settle`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --build-tests
swift test --skip-build
swift build -c release --product settle
SETTLE_BIN="$(swift build -c release --show-bin-path)/settle" SETTLE_E2E_LARGE=1 \
  swift test --skip-build --filter LargeEndToEndTests
