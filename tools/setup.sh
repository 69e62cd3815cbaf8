#!/usr/bin/env bash
# Installs what building Settle needs beyond Swift 6.3: liblz4 (headers and the lz4 command) and
# zlib (headers; gzip-compressed inputs).
# Safe to run again; does nothing when everything is there.
set -euo pipefail
need=()
pkg-config --exists liblz4 2>/dev/null || need+=(liblz4-dev pkg-config)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev pkg-config)
command -v lz4 >/dev/null 2>&1 || need+=(lz4)
if [ ${#need[@]} -gt 0 ]; then
  echo "settle setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
