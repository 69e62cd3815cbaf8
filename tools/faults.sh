#!/usr/bin/env bash
# Settle's fault campaign on a release build: SIGKILL at N moments of a run of 2M records (map,
# spill, reduce, publish, report) with a resume after each, ENOSPC (a small tmpfs, or the fault
# injection where mount is not permitted), EIO, an input truncated while mapped, a concurrent run.
# Prints a table (case, how, records lost, outcome); exits 1 if any case fails. Under 3 minutes on
# 2 cores with the defaults; longer: tools/faults.sh --kills 200.
#   tools/faults.sh [--kills N] [--records N] [--seed S] [--only kill,enospc,eio,sigbus,lock]
# SETTLE_BIN: the settle binary (default: the release build, built if missing); FAULTS_DIR: where
# the data and jobs go (default /dev/shm, else the temporary directory); FAULTS_NO_MOUNT=1: ENOSPC
# from the fault injection even where mount is permitted.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SETTLE_BIN:-}" ]; then
  SETTLE_BIN="$(swift build -c release --show-bin-path)/settle"
  [ -x "$SETTLE_BIN" ] || swift build -c release --product settle
fi
export SETTLE_BIN
exec python3 tools/faults.py "$@"
