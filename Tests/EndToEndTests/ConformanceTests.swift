import Foundation
import Testing

/// The real `settle aggregate` on every real-world sample in `../shared/realworld`, against the
/// ground truth of that folder's README (figures computed there, independently of Settle): exit
/// status, the checks that fail, warnings, rejects and totals per merchant. Files no layout of ours
/// fits have a row too, saying what Settle makes of them. tools/conformance.sh prints the results
/// as the README's table.
@Suite("Conformance: real-world files against their README's ground truth")
struct ConformanceTests {
    // Skipped, not failed, where the samples are absent: a fresh clone of the project alone.
    static let samplesNote: Comment = "needs the real-world samples in ../shared/realworld (absent: conformance suite skipped)"

    @Test("every file of the folder has a row, every row a file", .enabled(if: RealWorld.isPresent, samplesNote))
    func tableCoversTheFolder() throws {
        let onDisk = Set(try RealWorld.dataFiles())
        let inTable = ConformanceCase.all.map(\.file)
        let rows = ConformanceCase.all.map(\.testDescription)
        #expect(Set(rows).count == rows.count, "a file has two rows with the same layout")
        let missing = onDisk.subtracting(inTable).sorted()
        let stale = Set(inTable).subtracting(onDisk).sorted()
        #expect(missing.isEmpty, "files with no row in ConformanceCase.all: \(missing)")
        #expect(stale.isEmpty, "rows whose file is not in \(RealWorld.directory): \(stale)")
    }

    @Test("settle aggregate agrees with the README", .enabled(if: RealWorld.isPresent, samplesNote), arguments: ConformanceCase.all)
    func file(_ testCase: ConformanceCase) async throws {
        let path = RealWorld.directory + "/" + testCase.file
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let out = try TemporaryDirectory(prefix: "conformance")
        defer { out.remove() }
        let arguments = [name, "--layout", testCase.layoutArgument, "--quiet"]
        let run = try await AggregateRun.run(arguments, out: out.file("out"), in: directory)
        var strict: ProcessOutcome?
        if case .lenient = testCase.expected {
            strict = try await Subprocess.settle(["aggregate"] + arguments + ["--strict", "--out", out.file("strict")], in: directory)
        }
        let outcome = try ConformanceOutcome(run: run, strict: strict)

        let differences = outcome.differences(from: testCase.expected)
        let strictDifferences = outcome.strictDifferences(from: testCase.expected)
        // A gap is compared inside withKnownIssue even when nothing differs, so its closing is noticed.
        Self.record(differences, knownAs: testCase.gap, always: true, run: run.outcome)
        let noStrictOption = strict?.stderr.contains("Unknown option '--strict'") == true
        Self.record(strictDifferences, knownAs: noStrictOption ? Self.noStrictOption : testCase.gap, always: false, run: strict ?? run.outcome)

        if let structure = testCase.structure {
            #expect(outcome.structure?.logicalFiles == structure.logicalFiles && outcome.structure?.groups == structure.groups,
                    "logical files and groups \(String(describing: outcome.structure)), expected \(structure)")
        }

        var totalsAgree: Bool?
        if let totals = testCase.totals {
            let expected = totals.map(\.row).sorted { ($0[0].utf8.lexicographicallyPrecedes($1[0].utf8)) }
            totalsAgree = outcome.totals == expected
            expectSameRows(outcome.totals, expected, "totals.csv of \(testCase.file)")
        }
        try ConformanceResults.record(testCase, index: ConformanceCase.all.firstIndex { $0.testDescription == testCase.testDescription } ?? 0,
                                      outcome: outcome, totalsAgree: totalsAgree, verdictAgrees: differences.isEmpty,
                                      strictAgrees: strictDifferences.isEmpty, strictMissing: noStrictOption)
    }

    static let noStrictOption = "settle aggregate has no --strict option yet (docs/structured-layouts.md describes it)"

    /// Records each difference as an issue, as a known one when `knownAs` says why Settle differs.
    static func record(_ differences: [String], knownAs reason: String?, always: Bool, run: ProcessOutcome,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        func recordAll() {
            for difference in differences { Issue.record(Comment(rawValue: difference + "\n\(run)"), sourceLocation: sourceLocation) }
        }
        if let reason, always || !differences.isEmpty {
            withKnownIssue(Comment(rawValue: reason), sourceLocation: sourceLocation) { recordAll() }
        } else {
            recordAll()
        }
    }
}

private typealias M = MerchantTotal

extension ConformanceCase {
    private static let aba = "datasets/layouts/examples/aba.yaml"
    private static let coda = "datasets/layouts/examples/coda.yaml"
    private static let epraw = "datasets/layouts/examples/epraw.yaml"
    private static let bradesco = "datasets/layouts/examples/cnab400-bradesco.yaml"
    private static let nachaDir = "nacha_moov-io-ach/"
    private static let brc = "cnab_kivanio-brcobranca/"
    private static let lb = "cnab_eduardokum-laravel-boleto/"
    private static let codaDir = "coda_wimverstuyf-php-coda-parser/"

    /// One row per file. Figures are the README's (section in brackets); where it gives a sum only,
    /// the split by direction, the fees and the merchant names were read at the README's positions.
    static let all: [ConformanceCase] = nacha + cnab240 + cnab400 + others

    // [1] NACHA: merchant = company id 41-50 | company name 5-20 of the batch header.
    static let nacha: [ConformanceCase] = [
        .init(file: nachaDir + "valid/NACHA_SAMPLE_TEL_REVERSAL.ach", layout: "nacha", expected: .valid,
              totals: [M("881234567|Bob's Manufactur", "USD", debit: (1, 685100), credit: (1, 685100))], readme: "valid"),
        .init(file: nachaDir + "valid/adv.ach", layout: "nacha", expected: .valid,
              totals: [M("121042882|Company Name, In", "USD", debit: (1, 250000), credit: (1, 50000))], readme: "valid (ADV)"),
        .init(file: nachaDir + "valid/cor-example.ach", layout: "nacha", expected: .valid,
              totals: [M("121042882|Your Company, in", "USD", credit: (1, 0))], readme: "valid (NOC)"),
        .init(file: nachaDir + "valid/dishonored-return.ach", layout: "nacha", expected: .valid,
              totals: [M("231380104|Payee Name", "USD", debit: (2, 48000))], readme: "valid"),
        .init(file: nachaDir + "valid/iat-mixedCreditDebit.ach", layout: "nacha", expected: .valid,
              totals: [M("123456789", "USD", debit: (1, 100000), credit: (1, 100000))], readme: "valid (IAT)"),
        .init(file: nachaDir + "valid/ppd-mixedDebitCredit.ach", layout: "nacha", expected: .valid,
              totals: [M("121042882|Name on Account", "USD", debit: (1, 200000000), credit: (2, 200000000))], readme: "valid"),
        .init(file: nachaDir + "valid/two-micro-deposits.ach", layout: "nacha", expected: .valid,
              totals: [M("001|Moov - paygate m", "USD", debit: (2, 120), credit: (4, 120))], readme: "valid",
              structure: (logicalFiles: 1, groups: 2)),

        .init(file: nachaDir + "lenient/issue702.ach", layout: "nacha", expected: .lenient(warnings: ["terminator", "trimmed"]),
              totals: [M("1823273909|POSSIBLE FINANCE", "USD", debit: (2, 10102), credit: (1, 102))],
              readme: "lenient: CRLF, header 91 bytes"),
        .init(file: nachaDir + "lenient/FISERV-ZEROFILE-PIMRET825324_032720_110221.ach", layout: "nacha",
              expected: .lenient(warnings: ["terminator", "trimmed"]), totals: [],
              readme: "lenient: CRLF, header 69 and control 55 bytes, no batch"),
        .init(file: nachaDir + "lenient/ppd-debit-fixedLength.ach", layout: "nacha", expected: .lenient(warnings: ["unseparated"]),
              totals: [M("origid|companyname", "USD", debit: (1, 10500))], readme: "lenient: 5 records on one line"),
        .init(file: nachaDir + "lenient/ppd-debit.ach", layout: "nacha", expected: .lenient(warnings: ["trimmed"]),
              totals: [M("121042882|Name on Account", "USD", debit: (1, 100000000))], readme: "lenient: trailing blanks trimmed"),
        .init(file: nachaDir + "lenient/extended-ascii.ach", layout: "nacha", expected: .lenient(warnings: ["multibyte"]),
              totals: [M("001|Moov - paygate m", "USD", debit: (2, 120), credit: (4, 120))], readme: "lenient: UTF-8 `ż` (95 bytes, 94 characters)"),
        .init(file: nachaDir + "lenient/return-WEB.ach", layout: "nacha", expected: .lenient(warnings: ["justification"]),
              totals: [M("123456789|CoinLion", "USD", debit: (1, 12354), credit: (1, 4565))],
              readme: "lenient: batch control company id right-justified, header's left-justified"),

        .init(file: nachaDir + "invalid/20110729A-invalid.ach", layout: "nacha",
              expected: .invalid(failed: ["file.batch_count"] + Array(repeating: "group.company_id", count: 4), warnings: ["trimmed"]),
              totals: [M("231380104I", "USD", debit: (13, 207300000), credit: (2, 1300)),
                       M("231380104P|TEST COMPANY", "USD", debit: (145, 2479800000), credit: (18, 17200))],
              readme: "invalid: batch ids `231380104P`/`I` vs control `231380104`; file batch count [5] vs 4; header 93 bytes"),
        .init(file: nachaDir + "invalid/moov-ids.ach", layout: "nacha", expected: .invalid(failed: ["file.entry_hash"]),
              totals: [M("COMPANY|2ada48fb-92bc-48", "USD", credit: (2, 11043)), M("COMPANY2|f36eb0f2-65f6-44", "USD", credit: (2, 11043))],
              readme: "invalid: file entry hash [9999999999] vs 144488931"),
        .init(file: nachaDir + "invalid/flattenADVBatchesMultipleBatchHeaders.ach", layout: "nacha", expected: .invalid(failed: ["file.total_credit"]),
              totals: [M("121042882|Company Incorpor", "USD", credit: (6, 300057)), M("121042882|Company Name, In", "USD", credit: (6, 300021))],
              readme: "invalid: file credit [600000] vs 600078"),
        .init(file: nachaDir + "invalid/adv-invalidBatchEntries.ach", layout: "nacha",
              expected: .invalid(failed: ["file.entry_addenda_count", "file.entry_hash", "file.total_debit", "file.total_credit",
                                          "group.entry_addenda_count", "group.entry_hash", "group.total_debit", "group.total_credit"],
                                 rejects: ["orphan_continuation": 1]),
              totals: [], readme: "invalid: a batch of one addenda; controls claim 2 entries"),
        .init(file: nachaDir + "invalid/adv-invalidFileControl.ach", layout: "nacha", expected: .invalid(failed: ["file.entry_addenda_count"]),
              totals: [M("121042882|Company Name, In", "USD", debit: (1, 250000), credit: (1, 50000))],
              readme: "invalid: file entry+addenda count [0] vs 2"),
        .init(file: nachaDir + "invalid/issue1620.ach", layout: "nacha", expected: .invalid(failed: ["file.batch_count"]),
              totals: [M("9999999999|Puppy Daycare", "USD", credit: (1, 1))], readme: "invalid: batch count [2] vs 1"),
        .init(file: nachaDir + "invalid/iat-invalidEntryDetail.ach", layout: "nacha",
              expected: .invalid(failed: ["file.total_credit", "group.total_credit"], rejects: ["bad_code": 1]),
              totals: [M("123456789", "USD", debit: (1, 2000))], readme: "invalid: transaction code `90`; credit [100000] vs 0"),
        .init(file: nachaDir + "invalid/iat-batchHeaderErr.ach", layout: "nacha",
              // The file control (55 bytes) is trimmed; the block count follows from 31 lines.
              expected: .invalid(failed: ["file.batch_count", "file.block_count", "group.group_trailer",
                                          "group.entry_addenda_count", "group.entry_hash", "group.total_credit"],
                                 rejects: ["orphan_continuation": 7], warnings: ["trimmed"]),
              totals: [M("123456789", "USD", debit: (1, 2000), credit: (1, 100000))],
              readme: "invalid: a batch header between an entry and its addenda"),
        // What the README calls invalid is what --strict finds: the control a short record, so no file trailer.
        .init(file: nachaDir + "invalid/short-line.ach", layout: "nacha",
              expected: .invalid(failed: ["file.file_trailer"], rejects: ["short_record": 1]),
              totals: [M("121042882|Name on Account", "USD", debit: (1, 100000000))], readme: "invalid: file control 74 bytes",
              gap: "a record shorter than its kind is read blank-padded with a `trimmed` warning (as ppd-debit.ach, which the README calls lenient): invalid only under --strict"),
        .init(file: nachaDir + "invalid/long-line.ach", layout: "nacha",
              // Counts and the entry hash take every entry, rejected or not (as the README's iat-invalidEntryDetail figures do).
              // The last record recognised as a file control (98 bytes) is the file's trailer: rejected as overlong, it
              // still ends the file, and its figures are unreadable, so every file check fails; the 101-byte control
              // before it is an unexpected trailer.
              expected: .invalid(failed: ["file.batch_count", "file.block_count", "file.entry_addenda_count", "file.entry_hash",
                                          "file.total_credit", "file.total_debit", "group.total_debit"],
                                 rejects: ["overlong_record": 2, "unexpected_trailer": 1]),
              totals: [], readme: "invalid: entry 98, filler 98 and control 101 bytes"),
        .init(file: nachaDir + "invalid/return-no-batch-header.ach", layout: "nacha",
              expected: .invalid(failed: ["file.file_header", "file.file_trailer"], rejects: ["no_group": 2]),
              totals: [], readme: "invalid: entries with no batch header, no file header or control"),
        .init(file: nachaDir + "invalid/return-no-file-header-control.ach", layout: "nacha",
              // Its batch control's company id is right-justified, the header's left-justified (as in return-WEB.ach).
              expected: .invalid(failed: ["file.file_header", "file.file_trailer"], warnings: ["justification"]),
              totals: [M("123456789|CoinLion", "USD", debit: (1, 12354))], readme: "invalid: no file header, no file control"),
        .init(file: nachaDir + "invalid/bh-ed-ad-bh-ed-ad-ed-ad.ach", layout: "nacha",
              expected: .invalid(failed: ["file.file_header", "file.file_trailer", "group.group_trailer", "group.group_trailer"]),
              totals: [M("MOOVYYYYYY|Adam Shannon", "USD", debit: (1, 146)), M("MOOVYYYYYY|Robert Smith", "USD", credit: (2, 27))],
              readme: "invalid: batches with no control, no file header or control"),
        .init(file: nachaDir + "invalid/nonascii-utf8.ach", layout: "nacha",
              // 20 lines make 2 blocks by the README's rule; the control says 1 (the README names only the count).
              expected: .invalid(failed: ["file.block_count", "file.entry_addenda_count"], warnings: ["multibyte", "trimmed"]),
              totals: [M("111111112|Name on Account", "USD", debit: (1, 100000000))],
              readme: "invalid: file entry count [1] vs 13; multi-byte UTF-8 addenda, trimmed lines"),
        .init(file: nachaDir + "invalid/ppd-debit-fixedLengthInvalid.ach", layout: "nacha",
              // The 471-byte line is recognised as the file header: rejected as overlong, it still opens the file.
              expected: .invalid(failed: ["file.file_trailer"], rejects: ["overlong_record": 1]),
              totals: [], readme: "invalid: one 471-byte line (not a multiple of 94)"),
        .init(file: nachaDir + "invalid/shr-credit.ach", layout: "nacha",
              expected: .invalid(failed: ["file.batch_count", "file.block_count", "file.entry_addenda_count", "file.entry_hash",
                                          "file.total_debit", "file.total_credit"],
                                 warnings: ["trimmed"]),
              totals: [M("1470535472|FDR DEBIT CARD", "USD", credit: (14, 68716))],
              readme: "invalid: one batch cut from a file whose control says 665 batches"),
    ]

    // [2] CNAB 240: merchant = batch header CNPJ 19-33; T face value 82-96 (P 86-100) a credit, T 199-213 the fee.
    // The README's T sums are credits; fees were read at 199-213 (BB's agree with its U paid − U net).
    static let cnab240: [ConformanceCase] = [
        .init(file: brc + "CNAB240SICREDI.CRT", layout: "cnab240", expected: .valid,
              totals: [M("010999552000103", "BRL", credit: (2, 1990), fee: 380)], readme: "valid (Sicredi)"),
        .init(file: brc + "CNAB240.RET", layout: "cnab240", expected: .lenient(warnings: ["trimmed"]),
              totals: [M("035643899000145", "BRL", credit: (35, 2188094), fee: 3605)], readme: "lenient: trailing blanks trimmed (BB)"),
        .init(file: brc + "remessa-bancoob-cnab240.rem", layout: "cnab240", expected: .valid,
              totals: [M("074576177000177", "BRL", credit: (1, 5000))], readme: "valid (Bancoob remittance, CRLF)"),
        .init(file: lb + "cnab240/banco_brasil.ret", layout: "cnab240",
              // The 241-byte batch header is rejected but still opens its batch, so the five T segments count, as the
              // README computes them (fee: U-paid 12880 - U-net 10380); the batch and file counts hold.
              expected: .invalid(failed: [], rejects: ["overlong_record": 1]),
              totals: [M("002659953000176", "BRL", credit: (5, 12880), fee: 2500)], readme: "invalid: batch header 241 bytes"),
        .init(file: lb + "cnab240/btg.ret", layout: "cnab240",
              // The header (308 bytes after the BOM) is overlong: rejected, it still opens the file. The T tariffs and the
              // trailer total end in blanks, so both T are rejected and the simple-collection total is unreadable.
              expected: .invalid(failed: ["file.record_count", "group.batch_records", "group.simple_count",
                                          "group.simple_total"],
                                 rejects: ["overlong_record": 1, "bad_amount": 3], warnings: ["bom", "trimmed"]),
              totals: [], readme: "invalid: BOM, lines of 311/227/233 bytes, batch and file counts [1]"),
        // Santander (033) variants: face value 78-92, batch count of details only. The tariff (194-208, Santander's
        // manual) is not in the README: its figures were read there independently.
        .init(file: brc + "CNAB240SANTANDER.RET", layout: "cnab240",
              expected: .invalid(failed: ["group.simple_count", "group.simple_total"], warnings: ["trimmed"]),
              totals: [M("015680668000102", "BRL", credit: (2, 2000), fee: 392)],
              readme: "Santander: 2 T of 1000; trailer 65/1190475 ≠ details; lines trimmed"),
        .init(file: lb + "cnab240/santander.ret", layout: "cnab240", expected: .invalid(failed: ["group.simple_total"]),
              totals: [M("011111111111111", "BRL", credit: (1, 1000), fee: 324)],
              readme: "Santander: 1 T of 1000; trailer total 54890 ≠ details"),
    ]

    // [3] CNAB 400: merchant = detail CNPJ 4-17; face value 153-165 a credit, 176-188 the fee (read there: the README
    // gives no fee). Other banks' files are read with the Itaú layout too, to show what it makes of them.
    static let cnab400: [ConformanceCase] = [
        .init(file: brc + "CNAB400ITAU.RET", layout: "cnab400-itau", expected: .valid,
              totals: [M("16733872000107", "BRL", credit: (52, 268896), fee: 10920)], readme: "valid (Itaú)"),
        .init(file: brc + "remessa-itau-cnab444.rem", layout: "cnab400-itau", expected: .valid,
              totals: [M("00012345678910", "BRL", credit: (1, 19990))], readme: "valid: Itaú remittance, 444-byte detail"),
        .init(file: lb + "cnab400/bradesco.ret", layout: "cnab400-itau",
              expected: .invalid(failed: ["file.detail_count", "file.face_value_total"], rejects: ["bad_digits": 1]),
              totals: [M("04146792000168", "BRL", credit: (7, 1010), fee: 252)], readme: "valid as Bradesco (not Itaú: per-event trailer totals)"),
        .init(file: brc + "CNAB400BRADESCO.RET", layout: "cnab400-itau",
              expected: .invalid(failed: ["file.detail_count", "file.face_value_total"], rejects: ["bad_digits": 1]),
              totals: [M("12095870000170", "BRL", credit: (6, 293000), fee: 800)], readme: "invalid as Bradesco: event 02 value [202000] vs 273000"),
        .init(file: brc + "CBR64310.RET", layout: "cnab400-itau",
              expected: .invalid(failed: ["file.detail_count"], rejects: ["unknown_record_type": 26, "bad_digits": 1]),
              totals: [], readme: "BB CBR643: type-7 details, no control"),
        .init(file: lb + "cnab400/bnb.ret", layout: "cnab400-itau",
              expected: .invalid(failed: ["file.detail_count", "file.face_value_total"], rejects: ["bad_digits": 1]),
              totals: [M("99999999999999", "BRL", credit: (10, 1909364), fee: 738)], readme: "BNB: valid structure, no control"),
        // The Bradesco files again, with the example Bradesco layout: the README's verdicts.
        .init(file: lb + "cnab400/bradesco.ret", layout: bradesco, expected: .valid,
              totals: [M("04146792000168", "BRL", credit: (7, 1010), fee: 252)], readme: "valid: ev02 1/500 ✔, ev06 1/500 ✔, others 0 ✔"),
        .init(file: brc + "CNAB400BRADESCO.RET", layout: bradesco, expected: .invalid(failed: ["file.registered_value"]),
              totals: [M("12095870000170", "BRL", credit: (6, 293000), fee: 800)], readme: "invalid: event 02 value [202000] vs 273000"),
    ]

    // [4] Amex EPRAW, [5] CODA (thousandths), [6] ABA.
    static let others: [ConformanceCase] = [
        .init(file: "amex_epraw_tomheady-Finance-AMEX-Transaction/EPRAW_sample_test_file.txt", layout: epraw,
              expected: .invalid(failed: ["group.payment_amount", "group.payment_amount"]),
              totals: [M("1116711035", "USD", credit: (1, 198148)),
                       M("1116725407", "USD", debit: (5, 1272677), credit: (8, 56458529)),
                       M("1116726140", "USD", debit: (1, 374443), credit: (1, 3572)),
                       M("1116754639", "USD", debit: (1, 5976), credit: (1, 514)),
                       M("1116764380", "USD", debit: (1, 56), credit: (2, 349648))],
              readme: "invalid: payments of 1116754639 (−6505 vs −5462) and 1116764380 (+349498 vs +349592)",
              structure: (logicalFiles: 5, groups: 5)),
        .init(file: codaDir + "sample1.cod", layout: coda, expected: .valid,
              totals: [M("138536152215|EUR", "EUR", credit: (4, 80000))], readme: "valid", structure: (logicalFiles: 1, groups: 1)),
        .init(file: codaDir + "sample10.cod", layout: coda, expected: .valid,
              totals: [M("138536152215|EUR", "EUR", credit: (1, 1000000))], readme: "valid: one globalised credit"),
        .init(file: codaDir + "sample11.cod", layout: coda, expected: .valid,
              totals: [M("138536152215|EUR", "EUR", credit: (1, 1000000))], readme: "valid"),
        .init(file: codaDir + "sample8.cod", layout: coda, expected: .valid,
              totals: [M("BE11111111111111|EUR", "EUR", debit: (2, 644890))], readme: "valid"),
        .init(file: codaDir + "sample2.cod", layout: coda, expected: .invalid(failed: ["group.new_balance"]),
              totals: [M("BE62354872126588|EUR", "EUR", debit: (1, 9680))], readme: "trailer ✔, balance ✘ (anonymised)",
              gap: "the language has no balance check (old balance, signed by a separate byte, ± movements = new balance)"),
        .init(file: codaDir + "sample3.cod", layout: coda,
              expected: .invalid(failed: ["file.record_count", "file.total_debit", "file.total_credit", "group.new_balance"]),
              totals: [M("732XXXXXXXXX|EUR", "EUR", debit: (1, 812690))], readme: "invalid: trailer copied from another file",
              gap: "the language has no balance check (old balance ± movements = new balance)"),
        .init(file: codaDir + "sample7.cod", layout: coda,
              expected: .invalid(failed: ["file.record_count", "file.total_debit", "file.total_credit", "group.new_balance"]),
              totals: [M("138536152215|EUR", "EUR", debit: (1, 75000))], readme: "invalid: trailer copied from another file",
              gap: "the language has no balance check (old balance ± movements = new balance)"),
        .init(file: codaDir + "sample9.cod", layout: coda,
              expected: .invalid(failed: ["file.record_count", "file.total_credit", "group.new_balance"]),
              totals: [M("138536152215|EUR", "EUR", credit: (1, 5000))], readme: "invalid: trailer 22 / C 80000 vs 1 credit of 5000",
              gap: "the language has no balance check (old balance ± movements = new balance)"),
        .init(file: "aba_mjec-aba/sample-with-comments.aba", layout: aba, expected: .lenient(warnings: ["after_trailer"]),
              totals: [M("301500|Smith John Allan", "AUD", credit: (1, 1))], readme: "3 records, then 156 lines of commentary"),
    ]
}
