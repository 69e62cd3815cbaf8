import ArgumentParser
import Foundation
import SettleEngine
import SettleGenerator

/// `settle generate`: writes a deterministic test settlement file, its ledger and the ground truth.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic settlement file, ledger and expected results for testing.",
        discussion: """
        Writes into DIR:
          settlement.dat            a header, RECORDS detail records and a trailer in the layout
                                    (with --faults, a partial record after the trailer)
          ledger.csv                arn,merchant_id,currency,amount,direction: one row per transaction
                                    (--ledger-files N: ledger.csv, ledger-2.csv, ... in contiguous chunks)
          ledger-spec.yaml          how to read a messy or signed ledger (--ledger-spec)
          expected/totals.csv       per merchant and currency totals of the valid records
          expected/rejects.csv      record_number,byte_offset,reason,field of each invalid record
          expected/mismatches.csv   the reconciliation's mismatch rows, as `settle aggregate --ledger` writes them
          expected/reconciliation.csv  per merchant and currency reconciliation figures
          expected/ledger_rejects.csv  file,line,reason,field of each unreadable ledger row
          expected/ledger_faults.csv  arn,fault,settled_amount,ledger_amount of each ledger difference
          expected/summary.json     counts, control totals, valid sums and the reconciliation's figures

        With --layout nacha, writes a valid NACHA ACH file instead, with its ledger:
          settlement.ach            a file header; batches of 1 to 3,000 entries (PPD, CCD, WEB and TEL
                                    mostly, plus IAT with their 7+ addenda, ADV with 12-digit amounts,
                                    and COR); prenotes, zero-dollar entries, returns (99), notifications
                                    of change (98) and 05 addenda; batch controls and the file control,
                                    exact; lines of 9s to a multiple of 10. 94-byte records, LF.
          ledger.csv                one row per entry: the trace number (80-94) as the reference, the
                                    merchant key, USD, cents, the transaction code's direction
          expected/totals.csv       per merchant (company id|company name; IAT: the id alone), USD
          expected/mismatches.csv, reconciliation.csv, ledger_rejects.csv, ledger_faults.csv  as above
          expected/summary.json     entries, addenda, batches (IAT, ADV), lines, blocks, file control,
                                    and the ledger's and reconciliation's figures
        RECORDS counts entry detail records (type 6), at most \(NachaGeneratorOptions.maxEntries): NACHA's
        6-digit block count caps a file at 9,999,990 lines. The last batch is never ADV, so the file
        control is always the standard one (12-digit totals), as nacha.yaml expects after a non-ADV batch.
        With --faults RATE only the ledger differs (the NACHA file stays valid and the same); --ledger-style
        and --ledger-files apply as for other layouts.

        With --layout mastercard-ipm, writes a valid Mastercard IPM clearing file (settlement.ipm): a 1644/697
        header, RECORDS detail messages (first and second presentments, reversals, chargebacks) with some
        1644 administrative and 1740 fee collection messages, a 1644/695 trailer with exact PDS 0306, 0301
        and 0105, DE 71 numbering the messages; --ipm-blocking 1014|none and --ipm-encoding
        ebcdic-cp500|ebcdic-cp037|ascii (default 1014, ebcdic-cp500). The reference is DE 31; as for NACHA,
        --faults RATE only touches the ledger.

        The same seed and options always give the same bytes. With --faults RATE, about RATE of the
        detail records get one fault each (bad_amount, bad_code, bad_date or a duplicated record) and
        about 2 x RATE of the ledger rows differ (amount, currency, merchant, direction, missing, doubled,
        doubled with another amount, unreadable in the messy styles), plus about RATE never-settled rows.

        Ledger styles: plain (the columns above, minor units, D/C, LF); messy (BOM, CRLF, other column
        names in another order, extra columns with a quoted multi-line note, decimal amounts, direction
        words such as debit/CR/Sale, references with spaces, quotes or without their leading zeros);
        signed (as messy, with a signed amount instead of a direction column).

        Docs: docs/generator.md
        """
    )

    @Option(help: ArgumentHelp("Detail records to write, duplicates included (nacha: entry detail records).", valueName: "N"))
    var records: Int

    @Option(help: ArgumentHelp("Merchants in the population; a few get most records.", valueName: "M"))
    var merchants: Int

    @Option(help: ArgumentHelp("Seed of the generator (same seed and options, same bytes).", valueName: "S"))
    var seed: UInt64

    @Option(help: ArgumentHelp("Directory to write into (created if missing; files in it are replaced).", valueName: "DIR"))
    var out: String

    @Option(help: ArgumentHelp("Built-in layout name (\(BuiltinLayouts.names.joined(separator: ", "))) or path to a layout YAML file; "
                               + "nacha writes a NACHA ACH file (settlement.ach).",
                               valueName: "NAME|PATH"))
    var layout: String = "reference"

    @Option(help: ArgumentHelp("Fraction of records and ledger rows given a fault, such as 0.01.", valueName: "RATE"))
    var faults: Double = 0

    @Option(help: ArgumentHelp("How the ledger is written: plain, messy or signed.", valueName: "STYLE"))
    var ledgerStyle: String = LedgerStyle.plain.rawValue

    @Option(help: ArgumentHelp("Ledger files the rows are dealt over.", valueName: "N"))
    var ledgerFiles: Int = 1

    @Option(help: ArgumentHelp("mastercard-ipm: 1014 (1014-byte blocks) or none.", valueName: "BLOCKING"))
    var ipmBlocking: String = "1014"

    @Option(help: ArgumentHelp("mastercard-ipm: ebcdic-cp500, ebcdic-cp037 or ascii.", valueName: "ENCODING"))
    var ipmEncoding: String = "ebcdic-cp500"

    @Option(help: ArgumentHelp("visa-ctf: the file's code page, ascii, ebcdic-cp500 or ebcdic-cp037.", valueName: "CODEPAGE"))
    var encoding: String = "ascii"

    @Option(help: ArgumentHelp("visa-ctf: line ends, lf, crlf or none (fixed 168-byte blocks).", valueName: "FORM"))
    var lineEnd: String = "lf"

    /// `--layout nacha` selects the NACHA generator (its own format, not a flat layout's records).
    var isNacha: Bool { layout == "nacha" }
    /// `--layout visa-ctf` selects the Visa CTF generator.
    var isVisa: Bool { layout == "visa-ctf" }

    func validate() throws {
        if isIPM {
            try validateIPM()
            return
        } else if isVisa {
            if let problem = VisaGeneratorOptions.problem(transactions: records, merchants: merchants, seed: seed, faultRate: faults,
                                                          ledgerFiles: ledgerFiles) {
                throw ValidationError(problem)
            }
            if CodePage(rawValue: encoding) == nil { throw ValidationError("--encoding must be ascii, ebcdic-cp500 or ebcdic-cp037") }
            if VisaGeneratorOptions.LineEnd(rawValue: lineEnd) == nil { throw ValidationError("--line-end must be lf, crlf or none") }
            try validateLedgerStyle()
            return
        }
        if isNacha {
            try validateNacha()
            return
        }
        if let problem = GeneratorOptions.problem(records: records, merchants: merchants, seed: seed, faultRate: faults,
                                                  ledgerFiles: ledgerFiles) {
            throw ValidationError(problem)
        }
        try validateLedgerStyle()
        if out.isEmpty { throw ValidationError("--out must name a directory") }
    }

    private func validateNacha() throws {
        if let problem = NachaGeneratorOptions.problem(entries: records, merchants: merchants, seed: seed, faultRate: faults,
                                                       ledgerFiles: ledgerFiles) {
            throw ValidationError(problem)
        }
        try validateLedgerStyle()
        if out.isEmpty { throw ValidationError("--out must name a directory") }
    }

    private func validateLedgerStyle() throws {
        if LedgerStyle(rawValue: ledgerStyle) == nil {
            let styles = LedgerStyle.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--ledger-style must be one of \(styles), not '\(ledgerStyle)'")
        }
    }

    func run() throws {
        if isIPM {
            try runIPM()
            return
        } else if isVisa {
            try runVisa()
            return
        }
        if isNacha {
            try runNacha()
            return
        }
        let clock = ContinuousClock()
        let started = clock.now
        let report: GenerationReport
        do {
            let spec = try LayoutLoader.load(layout)
            if spec.structure != nil {
                throw SettleError(.usage, "layout \(layout) is a structured layout: the generator writes flat layouts, "
                    + "and NACHA files with --layout nacha")
            }
            let options = try GeneratorOptions(records: records, merchants: merchants, seed: seed, faultRate: faults,
                                               layout: spec, outputDirectory: out,
                                               ledgerStyle: LedgerStyle(rawValue: ledgerStyle) ?? .plain,
                                               ledgerFiles: ledgerFiles)
            report = try Generator.run(options)
        } catch {
            throw fail(error)
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = seconds > 0 ? Int(Double(report.records) / seconds) : 0
        printError("settle generate: \(report.records) records (\(report.valid) valid, \(report.rejected) rejects, "
            + "\(report.duplicates) duplicates), \(report.ledgerRows) ledger rows (\(report.ledgerRejected) unreadable), "
            + "\(report.mismatches) mismatches, \(report.settlementBytes) bytes "
            + "in \(out) in \(String(format: "%.2f", seconds)) s (\(perSecond) records/s)")
    }

    private func runVisa() throws {
        let report: VisaGenerationReport
        do {
            let options = try VisaGeneratorOptions(transactions: records, merchants: merchants, seed: seed, faultRate: faults,
                                                   codePage: CodePage(rawValue: encoding) ?? .ascii,
                                                   lineEnd: VisaGeneratorOptions.LineEnd(rawValue: lineEnd) ?? .lf, outputDirectory: out,
                                                   ledgerStyle: LedgerStyle(rawValue: ledgerStyle) ?? .plain, ledgerFiles: ledgerFiles)
            report = try VisaGenerator.run(options)
        } catch {
            throw fail(error)
        }
        printError("settle generate: \(report.transactions) Visa transactions, \(report.records) records, \(report.batches) batches, "
            + "\(report.rejected) rejects, \(report.fileBytes) bytes, \(report.ledgerRows) ledger rows, \(report.mismatches) mismatches in \(out)")
    }

    private func runNacha() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let report: NachaGenerationReport
        do {
            let options = try NachaGeneratorOptions(entries: records, merchants: merchants, seed: seed, faultRate: faults,
                                                    outputDirectory: out, ledgerStyle: LedgerStyle(rawValue: ledgerStyle) ?? .plain,
                                                    ledgerFiles: ledgerFiles)
            report = try NachaGenerator.run(options)
        } catch {
            throw fail(error)
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = seconds > 0 ? Int(Double(report.entries) / seconds) : 0
        printError("settle generate: \(report.entries) NACHA entries, \(report.addenda) addenda, \(report.batches) batches "
            + "(\(report.iatBatches) IAT, \(report.advBatches) ADV), \(report.lines) lines, \(report.fileBytes) bytes, "
            + "\(report.totalsRows) merchants, \(report.ledgerRows) ledger rows (\(report.ledgerRejected) unreadable), "
            + "\(report.mismatches) mismatches in \(out) in \(String(format: "%.2f", seconds)) s (\(perSecond) entries/s)")
    }
}
