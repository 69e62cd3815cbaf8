import SettleEngine

/// What `settle generate --layout nacha` is asked for: entries, merchants, seed, the ledger's fault
/// rate, style and files, and the output directory. Checked on creation, before any work.
package struct NachaGeneratorOptions: Sendable {
    /// Entry detail records (type 6) to write; addenda, batch and file records come on top.
    package var entries: Int
    /// Merchants in the population: company identification and name pairs, and IAT originators.
    package var merchants: Int
    package var seed: UInt64
    /// Ledger faults only: about `2 * faultRate` of the entries' ledger rows differ, and about
    /// `faultRate` never-settled rows are added. The NACHA file itself stays valid.
    package var faultRate: Double
    package var outputDirectory: String
    package var ledgerStyle: LedgerStyle
    package var ledgerFiles: Int

    /// NACHA's file control holds the block count in 6 digits: at most 999,999 blocks of 10 lines,
    /// 9,999,990 lines. The generator's mix averages about 1.11 lines per entry (addenda, batch
    /// header and control), so 8,500,000 entries take about 9.4M lines (9,384,470 to 9,412,390 over
    /// three seeds), far below the limit; `NachaGenerator` still checks the lines against it.
    package static let maxEntries = 8_500_000
    /// The 6-digit block count's limit on physical lines (10 per block).
    package static let maxLines = 9_999_990
    package static let maxMerchants = 1_000_000
    package static let maxSeed = UInt64(Int64.max)

    package init(entries: Int, merchants: Int, seed: UInt64, faultRate: Double = 0, outputDirectory: String,
                ledgerStyle: LedgerStyle = .plain, ledgerFiles: Int = 1) throws(SettleError) {
        if let problem = Self.problem(entries: entries, merchants: merchants, seed: seed, faultRate: faultRate,
                                      ledgerFiles: ledgerFiles) {
            throw SettleError(.usage, problem)
        }
        if outputDirectory.isEmpty { throw SettleError(.usage, "the output directory must not be empty") }
        self.entries = entries
        self.merchants = merchants
        self.seed = seed
        self.faultRate = faultRate
        self.outputDirectory = outputDirectory
        self.ledgerStyle = ledgerStyle
        self.ledgerFiles = ledgerFiles
    }

    /// What the run asks of its ledger.
    var ledgerSettings: LedgerGenerator.Settings {
        .init(style: ledgerStyle, fileCount: ledgerFiles, records: entries, seed: seed, directory: outputDirectory)
    }

    /// What is wrong with these numbers, if anything (the CLI checks this in `validate()`); the fault
    /// rate and ledger files as for a flat layout.
    package static func problem(entries: Int, merchants: Int, seed: UInt64, faultRate: Double = 0,
                               ledgerFiles: Int = 1) -> String? {
        if entries < 1 || entries > maxEntries {
            return "--records must be between 1 and \(maxEntries) with --layout nacha, not \(entries): a NACHA file "
                + "holds at most 999,999 blocks of 10 lines (6-digit block count), and the generated mix of addenda, "
                + "batch headers and controls takes about 1.11 lines per entry"
        }
        if merchants < 1 || merchants > maxMerchants {
            return "--merchants must be between 1 and \(maxMerchants), not \(merchants)"
        }
        if seed > maxSeed {
            return "--seed must be between 0 and \(maxSeed), not \(seed)"
        }
        return GeneratorOptions.problem(records: entries, merchants: merchants, seed: seed, faultRate: faultRate,
                                        ledgerFiles: ledgerFiles)
    }
}

/// What a NACHA generator run wrote, for the CLI's summary line.
package struct NachaGenerationReport: Sendable, Equatable {
    package var entries: Int
    package var addenda: Int
    package var batches: Int
    package var iatBatches: Int
    package var advBatches: Int
    /// Physical lines, filler included.
    package var lines: Int
    package var fileBytes: Int
    /// Rows of `expected/totals.csv`.
    package var totalsRows: Int
    package var ledgerRows: Int
    /// Ledger rows the engine must reject.
    package var ledgerRejected: Int
    /// Rows of `expected/mismatches.csv`.
    package var mismatches: Int
    package var outputDirectory: String
}
