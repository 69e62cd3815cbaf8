#!/usr/bin/env bash
# SHA-256 throughput: the hand-written implementation Settle had until commit 7d33cd5 against
# swift-crypto's (what Support/SHA256.swift wraps now), over the same 512 MiB buffer, twice each, in one
# process. Builds a throwaway package under ${TMPDIR:-/tmp}; prints MB/s per implementation.
#   tools/bench/sha256.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${TMPDIR:-/tmp}/settle-sha256-bench"
mkdir -p "$work/Sources/shabench"
git -C "$root" show 7d33cd5:Sources/SettleEngine/Support/SHA256.swift \
  | sed 's/public struct SHA256/struct HandWrittenSHA256/; s/var hasher = SHA256()/var hasher = HandWrittenSHA256()/; s/public //g' \
  > "$work/Sources/shabench/HandWritten.swift"
cat > "$work/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(name: "shabench",
  dependencies: [.package(url: "https://github.com/apple/swift-crypto", from: "3.12.3")],
  targets: [.executableTarget(name: "shabench", dependencies: [.product(name: "Crypto", package: "swift-crypto")])])
SWIFT
cat > "$work/Sources/shabench/main.swift" <<'SWIFT'
import Crypto
import Foundation
let size = 512 << 20
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
for index in 0..<size { buffer[index] = UInt8(truncatingIfNeeded: index &* 31) }
func measure(_ name: String, _ body: () -> String) {
    let start = Date()
    let digest = body()
    let seconds = Date().timeIntervalSince(start)
    print(name, digest.prefix(16), String(format: "%6.0f MB/s", Double(size) / seconds / 1e6))
}
for _ in 0..<2 {
    measure("hand-written ") { var h = HandWrittenSHA256(); h.update(UnsafeRawBufferPointer(buffer)); return h.finalizeHex() }
    measure("swift-crypto ") {
        var h = Crypto.SHA256(); h.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
SWIFT
swift build -c release --package-path "$work" >/dev/null
"$work/.build/release/shabench"
