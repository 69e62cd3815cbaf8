import Foundation
import Testing

/// Structured layouts end to end, on files built here with their ground truth: groups whose key
/// lives in the group header and the file header, variants chosen by a context field, continuation
/// records, signed (overpunched) and unsigned amounts of different scales, controls per group and
/// per logical file, several logical files concatenated, and the physical forms read with a warning.
/// Every result must be the same whatever the partition size (down to one record) and workers.
@Suite("Structured layouts")
struct StructuredLayoutTests {
    static let layout = """
    name: batchy
    record_length: 40
    terminator: lf
    record_type: {start: 1, length: 1}
    currency: {field: currency}
    merchant: [shop, region]
    after_trailer: next_file
    records:
      - {kind: filler, fill: "9"}
      - kind: file_header
        code: "A"
        fields:
          - {name: region, start: 2, length: 4, type: text}
      - kind: group_header
        code: "B"
        fields:
          - {name: shop, start: 2, length: 8, type: text}
          - {name: currency, start: 10, length: 3, type: text}
          - {name: mode, start: 13, length: 1, type: text}
      - kind: detail
        name: signed_detail
        code: "D"
        when: {field: mode, in: ["S"]}
        fields:
          - {name: amount, start: 2, length: 8, type: signed_amount, role: amount, scale: 3}
          - {name: ref, start: 10, length: 6, type: digits}
      - kind: detail
        name: plain_detail
        code: "D"
        fields:
          - {name: direction, start: 2, length: 1, type: code, role: direction, debit: ["1", "2"], credit: ["5"]}
          - {name: amount, start: 3, length: 8, type: amount, role: amount, scale: 2}
          - {name: fee, start: 11, length: 4, type: amount, role: fee, scale: 2}
          - {name: ref, start: 15, length: 6, type: digits}
      - kind: continuation
        code: "C"
        fields:
          - {name: note, start: 2, length: 10, type: text, optional: true}
      - kind: group_trailer
        code: "T"
        fields:
          - {name: count, start: 2, length: 6, type: digits}
          - {name: debit, start: 8, length: 12, type: amount, scale: 3}
          - {name: credit, start: 20, length: 12, type: amount, scale: 3}
          - {name: refsum, start: 32, length: 4, type: digits}
        controls:
          - {name: count, field: count, count: [detail, continuation]}
          - {name: debit, field: debit, sum: debit}
          - {name: credit, field: credit, sum: credit}
          - {name: refsum, field: refsum, sum: ref, modulo: 10000}
      - kind: file_trailer
        code: "Z"
        fields:
          - {name: groups, start: 2, length: 4, type: digits}
          - {name: blocks, start: 6, length: 4, type: digits}
          - {name: net, start: 10, length: 12, type: signed_amount, scale: 3}
        controls:
          - {name: groups, field: groups, count: [group_header]}
          - {name: blocks, field: blocks, count: [all], per: 4}
          - {name: net, field: net, sum: net}
    """

    /// Totals of one merchant and currency, in thousandths.
    struct Sums {
        var debitCount = 0, debitAmount = 0, creditCount = 0, creditAmount = 0, fee = 0
    }

    /// A built file: its lines (without terminators) and the totals it must give.
    struct Built {
        var lines: [String] = []
        var totals: [String: Sums] = [:]
        var groups = 0
        var details = 0

        var totalsCSV: String {
            var out = totalsHeaderLine + "\n"
            for key in totals.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                let sums = totals[key]!
                let net = sums.debitAmount - sums.creditAmount - sums.fee
                out += "\(key),\(sums.debitCount),\(sums.debitAmount),\(sums.creditCount),\(sums.creditAmount),\(sums.fee),\(net)\n"
            }
            return out
        }

        func bytes(terminator: String = "\n") -> [UInt8] { Array(lines.map { $0 + terminator }.joined().utf8) }
    }

    static func pad(_ text: String, _ length: Int = 40) -> String {
        precondition(text.utf8.count <= length, text)
        return text + String(repeating: " ", count: length - text.utf8.count)
    }

    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: width - text.count) + text
    }

    /// Zoned decimal with the sign overpunched on the last digit.
    static func overpunch(_ value: Int, _ width: Int) -> String {
        let magnitude = digits(abs(value), width)
        let last = Int(String(magnitude.last!))!
        let positive = Array("{ABCDEFGHI"), negative = Array("}JKLMNOPQR")
        return String(magnitude.dropLast()) + String(value < 0 ? negative[last] : positive[last])
    }

    /// Deterministic: logical files of groups of details (one long group), some signed, with
    /// continuations; controls and filler written right.
    static func build(seed: UInt64 = 7, files: Int = 3, longGroup: Int = 400) -> Built {
        var random = seed
        func next(_ bound: Int) -> Int {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Int((random >> 33) % UInt64(bound))
        }
        var built = Built()
        let regions = ["EU", "US", "APAC"]
        for fileIndex in 0..<files {
            let start = built.lines.count
            let region = regions[fileIndex % regions.count]
            built.lines.append(pad("A" + region))
            var net = 0
            let groupCount = 2 + next(4)
            for group in 0..<groupCount {
                built.groups += 1
                let shop = "SHOP\(next(6))"
                let currency = ["EUR", "USD"][next(2)]
                let signed = next(3) == 0
                built.lines.append(pad("B" + shop.padding(toLength: 8, withPad: " ", startingAt: 0) + currency + (signed ? "S" : "P")))
                let size = fileIndex == 1 && group == 0 ? longGroup : 1 + next(20)
                var count = 0, debit = 0, credit = 0, refs = 0
                let key = "\(shop)|\(region),\(currency)"
                for _ in 0..<size {
                    let ref = next(1_000_000)
                    refs += ref
                    count += 1
                    built.details += 1
                    var sums = built.totals[key] ?? Sums()
                    if signed {
                        let amount = next(2_000_000) - 1_000_000
                        built.lines.append(pad("D" + overpunch(amount, 8) + digits(ref, 6)))
                        if amount < 0 {
                            debit += -amount
                            sums.debitCount += 1
                            sums.debitAmount += -amount
                        } else {
                            credit += amount
                            sums.creditCount += 1
                            sums.creditAmount += amount
                        }
                    } else {
                        let code = ["1", "2", "5"][next(3)]
                        let amount = next(10_000_000), fee = next(1000)
                        built.lines.append(pad("D" + code + digits(amount, 8) + digits(fee, 4) + digits(ref, 6)))
                        if code == "5" {
                            credit += amount * 10
                            sums.creditCount += 1
                            sums.creditAmount += amount * 10
                        } else {
                            debit += amount * 10
                            sums.debitCount += 1
                            sums.debitAmount += amount * 10
                        }
                        sums.fee += fee * 10
                    }
                    built.totals[key] = sums
                    for _ in 0..<next(3) {
                        built.lines.append(pad("C" + "note \(next(100))"))
                        count += 1
                    }
                }
                net += credit - debit
                built.lines.append(pad("T" + digits(count, 6) + digits(debit, 12) + digits(credit, 12) + digits(refs % 10000, 4)))
            }
            var lines = built.lines.count - start + 1
            while lines % 4 != 0 { lines += 1 }
            built.lines.append(pad("Z" + digits(groupCount, 4) + digits(lines / 4, 4) + overpunch(net, 12)))
            while (built.lines.count - start) % 4 != 0 { built.lines.append(String(repeating: "9", count: 40)) }
        }
        return built
    }

    struct Result {
        var run: AggregateRun
        var totals: String
        var rejects: CSVTable
        var summary: JSONValue
        var rejectsBytes: [UInt8]
    }

    func aggregate(_ bytes: [UInt8], _ extra: [String] = [], layout: String = Self.layout, quiet: Bool = true) async throws -> Result {
        let work = try TemporaryDirectory(prefix: "structured")
        defer { work.remove() }
        try writeBytes(bytes, to: work.file("input.dat"))
        try writeBytes(Array(layout.utf8), to: work.file("batchy.yaml"))
        let run = try await AggregateRun.run(["input.dat", "--layout", "batchy.yaml"] + (quiet ? ["--quiet"] : []) + extra, out: "out",
                                             in: work.path)
        try #require(run.outcome.exitStatus != nil, "settle crashed: \(run.outcome)")
        try #require(FileFacts.exists(run.summaryPath), "no summary.json: \(run.outcome)")
        return Result(run: run, totals: String(decoding: try run.totals(), as: UTF8.self), rejects: try run.rejects(),
                      summary: try run.summary(), rejectsBytes: try run.rejectsBytes())
    }

    static func checks(_ summary: JSONValue) -> [JSONValue] { summary["result"]?["files"]?[0]?["checks"]?.array ?? [] }
    static func failed(_ summary: JSONValue) -> [JSONValue] { checks(summary).filter { $0["status"]?.string == "failed" } }

    @Test("totals, controls and scale match the ground truth, whatever the partition size and workers")
    func groundTruthAndInvariance() async throws {
        let built = Self.build()
        let base = try await aggregate(built.bytes())
        #expect(base.run.outcome.exitStatus == 0, "\(base.run.outcome)")
        #expect(base.totals == built.totalsCSV)
        let file = try #require(base.summary["result"]?["files"]?[0])
        #expect(file["amount_scale"]?.int == 3)
        #expect(file["groups"]?.int == built.groups)
        #expect(file["logical_files"]?.int == 3)
        #expect(Self.failed(base.summary).isEmpty, "\(Self.failed(base.summary))")
        // 4 controls per group, 3 per file; passed group checks are counted, file checks listed.
        #expect(file["checks_total"]?.int == built.groups * 4 + 3 * 3)
        #expect(file["checks_by_name"]?["group"]?["debit"]?["passed"]?.int == built.groups)
        #expect(Self.checks(base.summary).count == 3 * 3)
        #expect(base.summary["result"]?["valid"]?.int == built.details)
        for (size, workers) in [("41", "1"), ("41", "2"), ("123", "2"), ("1000", "1"), ("4KB", "2"), ("64MiB", "2")] {
            let run = try await aggregate(built.bytes(), ["--partition-size", size, "--workers", workers])
            #expect(run.run.outcome.exitStatus == 0, "\(size) \(workers): \(run.run.outcome)")
            #expect(run.totals == base.totals, "partition size \(size), workers \(workers)")
            #expect(run.rejectsBytes == base.rejectsBytes, "partition size \(size), workers \(workers)")
            #expect(run.summary["result"] == base.summary["result"], "partition size \(size), workers \(workers)")
        }
    }

    @Test("a wrong control fails by name with the group, its header's record and both values; exit 1")
    func failedControl() async throws {
        var built = Self.build(files: 1, longGroup: 5)
        let trailer = try #require(built.lines.firstIndex { $0.hasPrefix("T") })
        var line = Array(built.lines[trailer])
        line[7] = line[7] == "9" ? "8" : "9"  // the first digit of the debit total
        built.lines[trailer] = String(line)
        let result = try await aggregate(built.bytes(), quiet: false)
        #expect(result.run.outcome.exitStatus == 1, "\(result.run.outcome)")
        let failed = Self.failed(result.summary)
        try #require(failed.count == 1, "\(failed)")
        #expect(failed[0]["name"]?.string == "debit")
        #expect(failed[0]["group"]?.int == 1)
        #expect(failed[0]["group_record"]?.int == 2)
        #expect(failed[0]["record"]?.int == trailer + 1)
        #expect(failed[0]["expected"]?.string != failed[0]["found"]?.string)
        #expect(result.run.outcome.stderr.contains("check debit failed in group 1 (record 2)"), "\(result.run.outcome.stderr)")
        #expect(result.totals == built.totalsCSV, "a failed check does not change the totals")
    }

    @Test("CRLF, a BOM and trimmed lines are read with warnings; --strict rejects them")
    func physicalForms() async throws {
        var built = Self.build(files: 1, longGroup: 5)
        // Trailing blanks trimmed from every continuation (as some banks send them).
        built.lines = built.lines.map { $0.hasPrefix("C") ? String($0.reversed().drop { $0 == " " }.reversed()) : $0 }
        let trimmedCount = built.lines.filter { $0.hasPrefix("C") }.count
        let bytes = [0xEF, 0xBB, 0xBF] + built.bytes(terminator: "\r\n")
        let lenient = try await aggregate(bytes)
        #expect(lenient.run.outcome.exitStatus == 0, "\(lenient.run.outcome)")
        #expect(lenient.totals == built.totalsCSV)
        let warnings = try #require(lenient.summary["result"]?["files"]?[0]?["warnings"])
        #expect(warnings["bom"]?["count"]?.int == 1)
        #expect(warnings["terminator"]?["count"]?.int == 1)
        #expect(warnings["trimmed"]?["count"]?.int == trimmedCount)
        #expect((warnings["trimmed"]?["first_records"]?.array?.count ?? 0) == min(5, trimmedCount))
        for size in ["50", "300"] {
            let run = try await aggregate(bytes, ["--partition-size", size])
            #expect(run.summary["result"] == lenient.summary["result"], "partition size \(size)")
        }
        let strict = try await aggregate(bytes, ["--strict"])
        #expect(strict.run.outcome.exitStatus == 1, "\(strict.run.outcome)")
        let reasons = try strict.rejects.column("reason")
        #expect(reasons.filter { $0 == "short_record" }.count == trimmedCount)
        #expect(reasons.contains("unknown_record_type"), "under --strict the BOM is part of the first record")
        #expect(Self.failed(strict.summary).contains { $0["name"]?.string == "terminator" })
    }

    @Test("structure errors: a detail outside a group, an orphan continuation, a missing group trailer")
    func structureErrors() async throws {
        let shop = Self.pad("BSHOP1   EURP")
        let detail = Self.pad("D1" + Self.digits(100, 8) + Self.digits(0, 4) + Self.digits(1, 6))
        let lines = [
            Self.pad("AEU"),
            detail,                                    // no group yet
            shop,
            Self.pad("Cnote"),                         // no detail before it in its group
            detail,
            Self.pad("Cnote"),
            shop,                                      // the first group had no trailer
            detail,
            Self.pad("T" + Self.digits(1, 6) + Self.digits(1000, 12) + Self.digits(0, 12) + Self.digits(1, 4)),
            Self.pad("Z" + Self.digits(2, 4) + Self.digits(3, 4) + Self.overpunch(-2000, 12)),
            String(repeating: "9", count: 40), String(repeating: "9", count: 40),
        ]
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        let result = try await aggregate(bytes)
        #expect(result.run.outcome.exitStatus == 1, "\(result.run.outcome)")
        let rows = try result.rejects.columns(["record_number", "reason"])
        #expect(rows == [["2", "no_group"], ["4", "orphan_continuation"]])
        let failed = Self.failed(result.summary).map { $0["name"]?.string ?? "" }
        #expect(failed == ["group_trailer"], "\(Self.failed(result.summary))")
        #expect(result.totals == totalsHeaderLine + "\nSHOP1|EU,EUR,2,2000,0,0,0,2000\n")
        for size in ["41", "82", "200"] {
            let run = try await aggregate(bytes, ["--partition-size", size])
            #expect(run.rejectsBytes == result.rejectsBytes, "partition size \(size)")
            #expect(run.summary["result"] == result.summary["result"], "partition size \(size)")
        }
    }

    @Test("inspect shows a detail's context and merchant, and its continuations under it")
    func inspect() async throws {
        let built = Self.build(files: 1, longGroup: 3)
        let work = try TemporaryDirectory(prefix: "structured-inspect")
        defer { work.remove() }
        try writeBytes(built.bytes(), to: work.file("input.dat"))
        try writeBytes(Array(Self.layout.utf8), to: work.file("batchy.yaml"))
        let outcome = try await Subprocess.settle(["inspect", "input.dat", "--layout", "batchy.yaml", "--limit", "8"], in: work.path)
        #expect(outcome.exitStatus == 0, "\(outcome)")
        #expect(outcome.stdout.contains("record 1 (byte 0) file_header"))
        #expect(outcome.stdout.contains("group_header"))
        #expect(outcome.stdout.contains("    context: shop=\"SHOP"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("region=\"EU\""))
        #expect(outcome.stdout.contains("    merchant = \"SHOP"))
        if let continuation = built.lines.firstIndex(where: { $0.hasPrefix("C") }), continuation < 8 {
            #expect(outcome.stdout.contains("  record \(continuation + 1) (byte \(continuation * 41)) continuation continuation, continues record"))
        }
    }

    @Test("an id equal once trimmed but justified differently: a justification warning; --strict fails the check")
    func justification() async throws {
        func pad(_ text: String) -> String { text + String(repeating: " ", count: 94 - text.count) }
        let lines = [
            pad("101 231380104 1210428821908161055A094101Federal Reserve Bank   My Bank Name"),
            pad("5200Shop Name" + String(repeating: " ", count: 27) + "123456789 PPDPAYROLL   1908161908161  1121042880000001"),
            pad("62723138010412345678         0000012345ID             NAME                    0121042880000001"),
            pad("82000000010023138010000000012345000000000000 123456789" + String(repeating: " ", count: 25) + "121042880000001"),
            pad("9000001000001000000010023138010000000012345000000000000"),
        ] + Array(repeating: String(repeating: "9", count: 94), count: 5)
        let work = try TemporaryDirectory(prefix: "structured-justified")
        defer { work.remove() }
        try writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: work.file("file.ach"))
        let lenient = try await AggregateRun.run(["file.ach", "--layout", "nacha", "--quiet"], out: "out", in: work.path)
        #expect(lenient.outcome.exitStatus == 0, "\(lenient.outcome)")
        let file = try #require(try lenient.summary()["result"]?["files"]?[0])
        #expect(file["warnings"]?["justification"]?["count"]?.int == 1, "\(file)")
        #expect(file["warnings"]?["justification"]?["first_records"]?.array?.first?.int == 4)
        #expect(file["checks_failed"]?.int == 0)
        #expect(try lenient.totals() == Array((totalsHeaderLine + "\n123456789|Shop Name,USD,1,12345,0,0,0,12345\n").utf8))
        let strict = try await AggregateRun.run(["file.ach", "--layout", "nacha", "--quiet", "--strict"], out: "strict", in: work.path)
        #expect(strict.outcome.exitStatus == 1, "\(strict.outcome)")
        let failed = Self.failed(try strict.summary())
        #expect(failed.map { $0["name"]?.string } == ["company_id"])
        #expect(failed.first?["found"]?.string == "123456789 (justified differently)")
    }

    /// Damage of every kind (bytes cut out, garbage lines, a line doubled, a truncated end): no crash,
    /// and the same totals, rejects, checks and warnings whatever the partition size and workers.
    @Test("damaged files give the same results whatever the partitions", arguments: 1...12)
    func damagedInvariance(seed: Int) async throws {
        var bytes = Self.build(seed: UInt64(seed), files: 2, longGroup: 60).bytes()
        Damage.apply(to: &bytes, seed: seed, replacements: Array("DCTBZA9".utf8))
        for strict in [[], ["--strict"]] {
            let base = try await aggregate(bytes, strict)
            try #require(base.run.outcome.exitStatus == 0 || base.run.outcome.exitStatus == 1, "\(base.run.outcome)")
            for (size, workers) in [("41", "2"), ("97", "1"), ("500", "2"), ("3000", "2")] {
                let run = try await aggregate(bytes, strict + ["--partition-size", size, "--workers", workers])
                let label = "seed \(seed) \(strict), partition size \(size)"
                #expect(run.run.outcome.exitStatus == base.run.outcome.exitStatus, "\(label): \(run.run.outcome)")
                #expect(run.totals == base.totals, "\(label)")
                #expect(run.rejectsBytes == base.rejectsBytes, "\(label)")
                #expect(run.summary["result"] == base.summary["result"], "\(label)")
            }
        }
    }

    @Test("layout show prints a structured layout: its specs, variants, roles and controls")
    func layoutShow() async throws {
        let outcome = try await Subprocess.settle(["layout", "show", "nacha"])
        #expect(outcome.exitStatus == 0, "\(outcome)")
        #expect(outcome.stdout.contains("structured: merchant = company_id | company_name; currency USD"))
        #expect(outcome.stdout.contains("detail adv_entry (code \"6\" at 1-1) when sec_code in ADV"))
        #expect(outcome.stdout.contains("group_header iat_batch_header (code \"5\" at 1-1) [51: \"IAT\"]"))
        #expect(outcome.stdout.contains("control entry_hash: entry_hash = sum of rdfi_routing mod 10000000000"))
        #expect(outcome.stdout.contains("control block_count: block_count = count of every record per 10, rounded up"))
        #expect(outcome.stdout.contains("debit=26|27|28|29"))
        let check = try await Subprocess.settle(["layout", "check", "nacha"])
        #expect(check.stdout.contains("structured layout 'nacha', 13 record specs, 25 controls"), "\(check)")
    }

    @Test("plan, map, reduce and finalize as separate tasks give the outputs of aggregate")
    func taskCommands() async throws {
        let built = Self.build()
        let base = try await aggregate(built.bytes(), ["--partition-size", "2KB", "--buckets", "4"])
        let work = try TemporaryDirectory(prefix: "structured-tasks")
        defer { work.remove() }
        try writeBytes(built.bytes(), to: work.file("input.dat"))
        try writeBytes(Array(Self.layout.utf8), to: work.file("batchy.yaml"))
        let plan = try await Subprocess.settle(["plan", "input.dat", "--layout", "batchy.yaml", "--work", "w", "--partition-size", "2KB",
                                                "--buckets", "4"], in: work.path)
        #expect(plan.exitStatus == 0, "\(plan)")
        let manifest = try JSONValue(contentsOfFile: work.file("w/manifest.json"))
        let partitions = try #require(manifest["partitions"]?.array?.count)
        #expect(partitions > 4)
        for partition in (0..<partitions).reversed() {
            let map = try await Subprocess.settle(["map", "--work", "w", "--partition", String(partition)], in: work.path)
            #expect(map.exitStatus == 0, "\(map)")
        }
        for bucket in 0..<4 {
            let reduce = try await Subprocess.settle(["reduce", "--work", "w", "--bucket", String(bucket)], in: work.path)
            #expect(reduce.exitStatus == 0, "\(reduce)")
        }
        let finalize = try await Subprocess.settle(["finalize", "--work", "w", "--out", "out"], in: work.path)
        #expect(finalize.exitStatus == 0, "\(finalize)")
        #expect(try readBytes(work.file("out/totals.csv")) == Array(base.totals.utf8))
        let summary = try JSONValue(contentsOfFile: work.file("out/summary.json"))
        #expect(summary["result"]?["files"]?[0]?["checks"] == base.summary["result"]?["files"]?[0]?["checks"])
    }
}
