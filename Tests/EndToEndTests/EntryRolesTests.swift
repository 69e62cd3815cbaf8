import Foundation
import Testing

/// A detail's roles read from its continuation records and its context (`roles:`): the amount, fee
/// and reference of a title come from its payment continuation (as CNAB 240's U segment), its date
/// from the batch header. A title with no payment after it is `missing_continuation`; one whose
/// payment has a bad amount is rejected with that field. The same outputs at every partition size,
/// down to one record per partition, where each title and its payment are in different partitions.
@Suite("Roles from any record of an entry")
struct EntryRolesTests {
    static let layout = """
    name: entry
    record_length: 30
    terminator: lf
    record_type: {start: 1, length: 1}
    currency: {field: currency}
    merchant: [shop]
    records:
      - kind: group_header
        code: "B"
        fields:
          - {name: shop, start: 2, length: 6, type: text}
          - {name: currency, start: 8, length: 3, type: text}
          - {name: batch_date, start: 11, length: 8, type: digits}
      - kind: detail
        name: title
        code: "T"
        roles: {amount: payment.paid, fee: payment.tariff, reference: payment.our_number, date: batch_date}
        fields:
          - {name: direction, start: 2, length: 1, type: code, role: direction, debit: ["D"], credit: ["C"]}
          - {name: face, start: 3, length: 8, type: amount, scale: 2}
      - kind: continuation
        name: note
        code: "N"
        fields:
          - {name: text, start: 2, length: 10, type: text, optional: true}
      - kind: continuation
        name: payment
        code: "U"
        fields:
          - {name: paid, start: 2, length: 8, type: amount, scale: 2}
          - {name: tariff, start: 10, length: 4, type: amount, scale: 2}
          - {name: our_number, start: 14, length: 10, type: digits}
      - kind: group_trailer
        code: "Z"
        fields:
          - {name: count, start: 2, length: 6, type: digits}
          - {name: total, start: 8, length: 12, type: amount}
        controls:
          - {name: count, field: count, count: [detail, continuation]}
          - {name: total, field: total, sum: amount}
    """

    /// Record numbers are line numbers.
    static let file = [
        "BSHOP01EUR20261201",             // 1
        "TD00001000",                     // 2  title, face 10.00
        "Nhello",                         // 3  a note between the title and its payment
        "U0000090000100000000001",        // 4  paid 9.00, tariff 0.10, our number 1
        "TC00000500",                     // 5  a credit
        "U0000040000000000000002",        // 6  paid 4.00
        "TD00000300",                     // 7  no payment follows: missing_continuation
        "TD00000200",                     // 8  its payment's amount is bad: bad_amount, payment.paid
        "U0000X00000000000000004",        // 9  the payment itself: bad_amount, paid
        "Z000008000000001300",            // 10 8 details and continuations; 13.00 valid
        "BSHOP02USD20261202",             // 11
        "TD00000100",                     // 12
        "U0000015000050000000005",        // 13 paid 1.50, tariff 0.05
        "Z000002000000000150",            // 14
    ].map { $0 + String(repeating: " ", count: 30 - $0.utf8.count) + "\n" }.joined()

    static let totals = """
    merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount
    SHOP01,EUR,1,900,1,400,10,490
    SHOP02,USD,1,150,0,0,5,145

    """

    @Test("amount, fee and reference from the continuation; rejects in order; invariant under partition size",
          arguments: ["10G", "31", "62", "100"])
    func continuationRoles(_ partitionSize: String) async throws {
        let directory = try TemporaryDirectory(prefix: "entry-roles")
        defer { directory.remove() }
        try writeBytes(Array(Self.file.utf8), to: directory.file("entry.dat"))
        try writeBytes(Array(Self.layout.utf8), to: directory.file("entry.yaml"))
        let ledger = "arn,merchant_id,currency,amount,direction\n0000000001,SHOP01,EUR,900,D\n0000000002,SHOP01,EUR,400,C\n"
            + "0000000005,SHOP02,USD,150,D\n0000000004,SHOP01,EUR,200,D\n"
        try writeBytes(Array(ledger.utf8), to: directory.file("ledger.csv"))
        let run = try await AggregateRun.run(["entry.dat", "--layout", "entry.yaml", "--quiet", "--workers", "2",
                                              "--partition-size", partitionSize, "--ledger", "ledger.csv"], out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        expectSameBytes(try run.totals(), Array(Self.totals.utf8), "totals.csv")
        let rejects = try run.rejects()
        #expect(try rejects.columns(["record_number", "reason", "field"]) == [
            ["7", "missing_continuation", ""],
            ["8", "bad_amount", "payment.paid"],
            ["9", "bad_amount", "paid"],
        ])
        #expect(try rejects.column("detail").first == "no continuation 'payment' follows this detail (title, detail): its roles read fields of it")
        let summary = try run.summary()
        #expect(summary["result"]?["rejected_by_reason"]?["missing_continuation"]?.int == 1)
        #expect(summary["result"]?["files"]?[0]?["checks_failed"]?.int == 0, "\(summary["result"]?["files"]?[0] ?? .null)")
        // References from the payments: three pairs matched; title 8's reference is not readable.
        let mismatches = try CSVTable(contentsOfFile: run.outDirectory + "/mismatches.csv").rows
        #expect(summary["result"]?["reconciliation"]?["matched"]?["count"]?.int == 3)
        #expect(mismatches == [["missing_in_settlement", "0000000004", "", "", "", "", "SHOP01", "EUR", "debit", "200", "-200", "", "",
                                "ledger.csv", "5"]])
        if partitionSize == "31" {
            #expect(summary["run"]?["partitions"]?.array?.count == 14 + 3, "one partition per record, and the ledger's 3")
        }
    }

    @Test("the file ends while a detail waits for its continuation: missing_continuation, whatever the partitions",
          arguments: ["10G", "31"])
    func endOfFile(_ partitionSize: String) async throws {
        let directory = try TemporaryDirectory(prefix: "entry-roles-end")
        defer { directory.remove() }
        let lines = ["BSHOP01EUR20261201", "TD00001000", "U0000090000100000000001", "TD00000300", "Nlast note"]
        try writeBytes(Array(lines.map { $0 + String(repeating: " ", count: 30 - $0.utf8.count) + "\n" }.joined().utf8),
                       to: directory.file("entry.dat"))
        try writeBytes(Array(Self.layout.utf8), to: directory.file("entry.yaml"))
        let run = try await AggregateRun.run(["entry.dat", "--layout", "entry.yaml", "--quiet", "--partition-size", partitionSize],
                                             out: "out", in: directory.path)
        #expect(run.outcome.exitStatus == 1, "\(run.outcome)")
        #expect(try run.rejects().columns(["record_number", "reason"]) == [["4", "missing_continuation"]])
        expectSameBytes(try run.totals(), Array((totalsHeaderLine + "\nSHOP01,EUR,1,900,0,0,10,890\n").utf8), "totals.csv")
    }

    @Test("layout check refuses roles that name nothing; layout show lists the roles", arguments: [
        ("{amount: payment.missing}", "'missing' is not a field of the continuation 'payment'"),
        ("{amount: nothing.paid}", "'nothing' is not the name of a continuation record"),
        ("{amount: payment.our_number}", "role 'amount' needs type amount or signed_amount"),
        ("{date: no_such_field}", "'no_such_field' is not a field of a group or file header"),
        ("{direction: payment.paid}", "is already given to 'direction'"),
        ("{when: batch_date}", "unknown role 'when'"),
    ])
    func layoutErrors(_ roles: String, _ message: String) async throws {
        let directory = try TemporaryDirectory(prefix: "entry-roles-layout")
        defer { directory.remove() }
        let text = Self.layout.replacingOccurrences(
            of: "roles: {amount: payment.paid, fee: payment.tariff, reference: payment.our_number, date: batch_date}",
            with: roles.hasPrefix("{amount") ? "roles: \(roles)" : "roles: {amount: payment.paid, \(roles.dropFirst())")
        try writeBytes(Array(text.utf8), to: directory.file("entry.yaml"))
        let check = try await Subprocess.settle(["layout", "check", "entry.yaml"], in: directory.path)
        #expect(check.exitStatus == 2, "\(check)")
        #expect(check.stderr.contains(message), "\(check.stderr)")

        try writeBytes(Array(Self.layout.utf8), to: directory.file("good.yaml"))
        let show = try await Subprocess.settle(["layout", "show", "good.yaml"], in: directory.path)
        #expect(show.exitStatus == 0, "\(show)")
        #expect(show.stdout.contains("  role amount: payment.paid (a continuation's field)\n"), "\(show.stdout)")
        #expect(show.stdout.contains("  role date: batch_date (a header field in force)\n"), "\(show.stdout)")
    }
}
