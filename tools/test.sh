#!/usr/bin/env bash
# The test command: installs what is missing, runs the unit and end-to-end suites (debug build),
# then the large end-to-end tests against a release build of `settle`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --build-tests
# cardutil (PyPI) for the IPM cross-check (Tests/EndToEndTests/IPMCardutilTests.swift); skipped when PyPI is unreachable.
CARDUTIL_VENV=${SETTLE_CARDUTIL_VENV:-${TMPDIR:-/tmp}/settle-cardutil-venv}
if [ -z "${SETTLE_CARDUTIL_PYTHON:-}" ]; then
  if { [ -x "$CARDUTIL_VENV/bin/python" ] || python3 -m venv "$CARDUTIL_VENV"; } \
      && "$CARDUTIL_VENV/bin/python" -m pip install -q cardutil >/dev/null 2>&1; then
    export SETTLE_CARDUTIL_PYTHON="$CARDUTIL_VENV/bin/python"
  else
    echo "tools/test.sh: could not pip-install cardutil (PyPI unreachable?): the cardutil cross-check tests are skipped"
  fi
fi
swift test --skip-build
swift build -c release --product settle
SETTLE_BIN="$(swift build -c release --show-bin-path)/settle" SETTLE_E2E_LARGE=1 \
  swift test --skip-build --filter LargeEndToEndTests
