#!/usr/bin/env bash
# tools/build-static.sh: a release `settle` that needs nothing on the host beyond glibc, for
# `settle_spark.py --ship` (and for copying to hosts without Swift or liblz4).
#
#   tools/build-static.sh [OUTPUT]     (default: .build-static/settle; prints the path on stdout)
#
# - The Swift runtime, Foundation and Dispatch: `--static-swift-stdlib`.
# - liblz4: the package links it with `-L<libdir> -llz4`, from pkg-config `liblz4` (the CLZ4 system
#   library). The linker takes the first library directory holding liblz4.so or liblz4.a, so a
#   liblz4.pc of our own, found first through PKG_CONFIG_PATH, names a directory that holds only
#   liblz4.a (from liblz4-dev): that `-llz4` is then the static archive, with no change to the
#   package and no copy of lz4's sources.
# - zlib (the CZlib system library, for gzip inputs): the same way, libz.a from zlib1g-dev.
# - The C++ runtime that the Swift runtime needs (`-lstdc++` in the toolchain's
#   static-stdlib-args.lnk): the same way, libstdc++.a from the system's GCC; and libgcc statically
#   (`-static-libgcc` to the clang that links).
# What remains is glibc (libc, libm, and ld-linux), which is on every Linux host and which cannot
# sensibly be linked statically (NSS, dlopen).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
SCRATCH=${SETTLE_STATIC_SCRATCH:-.build-static}
OUTPUT=${1:-$SCRATCH/settle}

lz4=$(pkg-config --variable=libdir liblz4)/liblz4.a
[ -f "$lz4" ] || { echo "build-static: $lz4 is missing (liblz4-dev)" >&2; exit 2; }
zlib=$(pkg-config --variable=libdir zlib)/libz.a
[ -f "$zlib" ] || { echo "build-static: $zlib is missing (zlib1g-dev)" >&2; exit 2; }
# libstdc++.a where the toolchain's clang (or gcc) finds it (libstdc++-dev, which Swift needs anyway).
stdcxx=""
for cc in "$(dirname "$(readlink -f "$(command -v swift)")")/clang" clang gcc; do
  candidate=$("$cc" -print-file-name=libstdc++.a 2>/dev/null || true)
  if [ -f "$candidate" ]; then stdcxx=$candidate; break; fi
done
libs="$SCRATCH/static-libs"
mkdir -p "$libs"
ln -sf "$lz4" "$libs/liblz4.a"
ln -sf "$zlib" "$libs/libz.a"
if [ -n "$stdcxx" ] && [ -f "$stdcxx" ]; then ln -sf "$stdcxx" "$libs/libstdc++.a"; fi
libs=$(cd "$libs" && pwd)
includedir=$(pkg-config --variable=includedir liblz4)
cat >"$libs/liblz4.pc" <<EOF
Name: lz4
Description: liblz4.a only, for a static link of settle (tools/build-static.sh)
Version: $(pkg-config --modversion liblz4)
Libs: -L$libs -llz4
Cflags: -I$includedir
EOF
cat >"$libs/zlib.pc" <<EOF
Name: zlib
Description: libz.a only, for a static link of settle (tools/build-static.sh)
Version: $(pkg-config --modversion zlib)
Libs: -L$libs -lz
Cflags: -I$(pkg-config --variable=includedir zlib)
EOF
export PKG_CONFIG_PATH="$libs${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

swift build -c release --product settle --scratch-path "$SCRATCH" --static-swift-stdlib \
  -Xlinker -L"$libs" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc >&2
built="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/settle"
if [ "$built" != "$(realpath -m "$OUTPUT")" ]; then
  mkdir -p "$(dirname "$OUTPUT")"
  cp "$built" "$OUTPUT.tmp.$$" && mv "$OUTPUT.tmp.$$" "$OUTPUT"
fi
echo "$OUTPUT"
