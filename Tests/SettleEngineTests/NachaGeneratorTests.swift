import Foundation
import SettleEngine
import SettleGenerator
import Testing

/// Tests of `settle generate --layout nacha`: the same bytes for the same seed, and an independent
/// recount (`NachaRecount`: plain Swift at the README's positions) of every record, every batch
/// control, the file control and the per-merchant totals against what the generator wrote.
struct NachaGeneratorTests {
    static func generate(entries: Int, merchants: Int, seed: UInt64) throws -> (directory: String, report: NachaGenerationReport) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("settle-nacha-\(seed)-\(UUID().uuidString)").path
        let options = try NachaGeneratorOptions(entries: entries, merchants: merchants, seed: seed, outputDirectory: directory)
        return (directory, try NachaGenerator.run(options))
    }

    static func bytes(_ directory: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
    }

    static let files = ["settlement.ach", "expected/totals.csv", "expected/summary.json", "expected/rejects.csv"]

    @Test func sameSeedGivesIdenticalBytes() throws {
        let first = try Self.generate(entries: 20_000, merchants: 300, seed: 11)
        let second = try Self.generate(entries: 20_000, merchants: 300, seed: 11)
        let other = try Self.generate(entries: 20_000, merchants: 300, seed: 12)
        defer { for run in [first, second, other] { try? FileManager.default.removeItem(atPath: run.directory) } }
        for file in Self.files {
            let bytes = try Self.bytes(first.directory, file)
            #expect(!bytes.isEmpty, "\(file) is empty")
            #expect(bytes == (try Self.bytes(second.directory, file)), "\(file) differs between two runs with seed 11")
        }
        #expect(try Self.bytes(first.directory, "settlement.ach") != Self.bytes(other.directory, "settlement.ach"))
        #expect(try Self.bytes(first.directory, "expected/totals.csv") != Self.bytes(other.directory, "expected/totals.csv"))
        #expect(first.report == second.report.with(directory: first.directory))
    }

    @Test(arguments: [(30_000, 400, UInt64(42)), (30_000, 5_000, 7), (2_500, 60, 3), (500, 1, 5), (1, 10, 9)])
    func recountAgreesWithControlsAndGroundTruth(entries: Int, merchants: Int, seed: UInt64) throws {
        let run = try Self.generate(entries: entries, merchants: merchants, seed: seed)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let file = try Self.bytes(run.directory, "settlement.ach")
        let recount = NachaRecount(file: file)

        // Every record 94 bytes and LF, the format and every control exact.
        #expect(recount.problems.isEmpty, "\(recount.problems.count) problems: \(recount.problems.prefix(8))")
        #expect(file.count == recount.lines * 95)
        #expect(recount.endsWithLF)
        #expect(recount.addendaTraceMismatches == 0, "a 98 or 99 addenda's trace is not its entry's")
        #expect(recount.entries == entries)
        #expect(recount.declared == recount.computed)
        #expect(recount.lastSEC != "ADV", "the last batch decides the file control's layout: never ADV")
        #expect(recount.fillerLines < 10)

        // expected/totals.csv byte for byte, and the summary's figures.
        #expect(String(decoding: try Self.bytes(run.directory, "expected/totals.csv"), as: UTF8.self) == recount.totalsCSV())
        #expect(try Self.bytes(run.directory, "expected/rejects.csv") == Array("record_number,byte_offset,reason,field\n".utf8))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(Self.bytes(run.directory, "expected/summary.json")))
            as? [String: Any])
        #expect(summary["layout"] as? String == "nacha")
        #expect(summary["seed"] as? Int == Int(seed))
        #expect(summary["entries"] as? Int == entries)
        #expect(summary["addenda"] as? Int == recount.addenda)
        #expect(summary["batches"] as? Int == recount.batches)
        #expect(summary["iat_batches"] as? Int == recount.batchesBySEC["IAT", default: 0])
        #expect(summary["adv_batches"] as? Int == recount.batchesBySEC["ADV", default: 0])
        #expect(summary["lines"] as? Int == recount.lines)
        #expect(summary["blocks"] as? Int == recount.lines / 10)
        #expect(summary["filler_lines"] as? Int == recount.fillerLines)
        #expect(summary["last_batch_sec"] as? String == recount.lastSEC)
        #expect(summary["totals_rows"] as? Int == recount.totals.count)
        #expect(summary["exit_status"] as? Int == 0)
        let control = try #require(summary["file_control"] as? [String: Any])
        for name in ["batch_count", "block_count", "entry_addenda_count"] {
            #expect(control[name] as? Int == recount.computed[name], "\(name)")
        }
        for name in ["entry_hash", "total_debit", "total_credit"] {
            #expect(control[name] as? String == recount.computed[name].map(String.init), "\(name)")
        }
        #expect(run.report.lines == recount.lines)
        #expect(run.report.entries == entries)
    }

    /// The mix the brief asks for, on a file large enough to hold all of it.
    @Test func fileHoldsEveryKindOfBatchEntryAndAddenda() throws {
        let run = try Self.generate(entries: 60_000, merchants: 2_000, seed: 20240601)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let recount = NachaRecount(file: try Self.bytes(run.directory, "settlement.ach"))
        #expect(recount.problems.isEmpty, "\(recount.problems.prefix(8))")

        for sec in ["PPD", "CCD", "WEB", "TEL", "IAT", "ADV", "COR"] {
            #expect(recount.batchesBySEC[sec, default: 0] > 0, "no \(sec) batch")
        }
        #expect(recount.batches > 200, "many batches")
        // Live credits and debits most, then prenotes, zero-dollar entries, returns and ADV codes.
        let codes = recount.transactionCodes
        for code in ["22", "27", "32", "37", "23", "28", "24", "29", "21", "26", "81", "82"] {
            #expect(codes[code, default: 0] > 0, "no transaction code \(code)")
        }
        #expect(codes["22", default: 0] + codes["27", default: 0] > recount.entries / 2)
        for type in ["05", "98", "99", "10", "11", "12", "13", "14", "15", "16", "17", "18"] {
            #expect(recount.addendaTypes[type, default: 0] > 0, "no addenda \(type)")
        }
        // Every IAT entry has 10-16 once: the 7 mandatory addenda.
        #expect(Set((10...16).map { recount.addendaTypes[String($0)] }).count == 1)

        // Several company names under one identification; ids digit-only and left-justified.
        let ids = recount.totals.keys.compactMap { $0.split(separator: "|").first.map(String.init) }
        let namesPerId = Dictionary(grouping: ids, by: { $0 }).mapValues(\.count)
        #expect(namesPerId.values.contains { $0 >= 3 }, "no identification with several names")
        #expect(recount.companyIds.contains { $0.count == 10 && $0.allSatisfy(\.isNumber) })
        #expect(recount.companyIds.contains { $0.hasSuffix(" ") && $0.first != " " })
        // IAT keys are the identification alone; some names need CSV quoting.
        #expect(recount.totals.keys.contains { !$0.contains("|") })
        #expect(recount.totals.keys.contains { $0.contains(",") })
    }

    /// The recount can fail: one changed digit in an entry, a company id or the file control shows.
    @Test func recountCatchesTamperedRecords() throws {
        let run = try Self.generate(entries: 3_000, merchants: 50, seed: 4)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let file = try Self.bytes(run.directory, "settlement.ach")
        let expectedTotals = String(decoding: try Self.bytes(run.directory, "expected/totals.csv"), as: UTF8.self)
        #expect(NachaRecount(file: file).problems.isEmpty)

        func tampered(lineStarting type: UInt8, at start: Int, to byte: UInt8) -> [UInt8] {
            var copy = file
            let lineStart = stride(from: 0, to: copy.count, by: 95).first { copy[$0] == type }!
            copy[lineStart + start - 1] = copy[lineStart + start - 1] == byte ? byte + 1 : byte
            return copy
        }
        let amount = NachaRecount(file: tampered(lineStarting: UInt8(ascii: "6"), at: 38, to: UInt8(ascii: "7")))
        #expect(amount.problems.contains { $0.contains("batch control debit") || $0.contains("batch control credit") })
        #expect(amount.declared != amount.computed)
        #expect(amount.totalsCSV() != expectedTotals)
        let companyId = NachaRecount(file: tampered(lineStarting: UInt8(ascii: "8"), at: 46, to: UInt8(ascii: "X")))
        #expect(companyId.problems.contains { $0.contains("company id") })
        let blocks = NachaRecount(file: tampered(lineStarting: UInt8(ascii: "9"), at: 13, to: UInt8(ascii: "0")))
        #expect(blocks.declared["block_count"] != blocks.computed["block_count"])
    }

    /// The recount's positions are right: on third-party files it finds the README's ground truth.
    static let realworld = "/work/shared/realworld/nacha_moov-io-ach/valid/"
    static let realworldTotals: [(file: String, totals: String)] = [
        ("ppd-mixedDebitCredit.ach", "121042882|Name on Account,USD,1,200000000,2,200000000,0,0\n"),
        ("two-micro-deposits.ach", "001|Moov - paygate m,USD,2,120,4,120,0,0\n"),
        ("adv.ach", "\"121042882|Company Name, In\",USD,1,250000,1,50000,0,200000\n"),
        ("NACHA_SAMPLE_TEL_REVERSAL.ach", "881234567|Bob's Manufactur,USD,1,685100,1,685100,0,0\n"),
        ("dishonored-return.ach", "231380104|Payee Name,USD,2,48000,0,0,0,48000\n"),
        ("cor-example.ach", "\"121042882|Your Company, in\",USD,0,0,1,0,0,0\n"),
    ]

    @Test(.enabled(if: FileManager.default.fileExists(atPath: realworld), "needs /work/shared/realworld (third-party NACHA samples)"),
          arguments: realworldTotals.map(\.file))
    func recountReadsRealFilesAsTheReadmeSays(file: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.realworld + file)))
        let recount = NachaRecount(file: bytes)
        #expect(recount.problems.isEmpty, "\(recount.problems.prefix(5))")
        #expect(recount.declared == recount.computed)
        let expected = try #require(Self.realworldTotals.first { $0.file == file }).totals
        #expect(recount.totalsCSV() == "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n" + expected)
    }

    @Test func optionsOutsideNachaLimitsAreRefused() {
        #expect(NachaGeneratorOptions.problem(entries: 0, merchants: 1, seed: 1) != nil)
        #expect(NachaGeneratorOptions.problem(entries: NachaGeneratorOptions.maxEntries + 1, merchants: 1, seed: 1)?
            .contains("999,999 blocks") == true)
        #expect(NachaGeneratorOptions.problem(entries: 10, merchants: 0, seed: 1) != nil)
        #expect(NachaGeneratorOptions.problem(entries: 10, merchants: 1, seed: UInt64.max) != nil)
        #expect(NachaGeneratorOptions.problem(entries: NachaGeneratorOptions.maxEntries, merchants: 1_000_000, seed: 0) == nil)
    }
}

extension NachaGenerationReport {
    func with(directory: String) -> NachaGenerationReport {
        var copy = self
        copy.outputDirectory = directory
        return copy
    }
}
