import SettleEngine

/// What `settle generate` is asked for: how many records and merchants, the seed, the fault rate,
/// the layout, how the ledger is written and the output directory. Checked on creation, before any work.
package struct GeneratorOptions: Sendable {
    /// Detail records to write, duplicates included.
    package var records: Int
    /// Merchants in the population (not all need get a record).
    package var merchants: Int
    package var seed: UInt64
    /// Fraction of detail records (and, separately, of ledger rows) that get a fault; 0 for none.
    package var faultRate: Double
    package var layout: LayoutSpec
    package var outputDirectory: String
    /// How the ledger is written.
    package var ledgerStyle: LedgerStyle
    /// Ledger files the rows are dealt over (contiguous chunks, each with its own header).
    package var ledgerFiles: Int

    package static let maxRecords = 10_000_000_000
    package static let maxFaultRate = 0.5
    package static let maxSeed = UInt64(Int64.max)
    package static let maxLedgerFiles = 1_000

    package init(records: Int, merchants: Int, seed: UInt64, faultRate: Double = 0, layout: LayoutSpec,
                outputDirectory: String, ledgerStyle: LedgerStyle = .plain, ledgerFiles: Int = 1) throws(SettleError) {
        if let problem = Self.problem(records: records, merchants: merchants, seed: seed, faultRate: faultRate,
                                      ledgerFiles: ledgerFiles) {
            throw SettleError(.usage, problem)
        }
        if outputDirectory.isEmpty { throw SettleError(.usage, "the output directory must not be empty") }
        self.records = records
        self.merchants = merchants
        self.seed = seed
        self.faultRate = faultRate
        self.layout = layout
        self.outputDirectory = outputDirectory
        self.ledgerStyle = ledgerStyle
        self.ledgerFiles = ledgerFiles
    }

    /// What the run asks of its ledger.
    var ledgerSettings: LedgerGenerator.Settings {
        .init(style: ledgerStyle, fileCount: ledgerFiles, records: records, seed: seed, directory: outputDirectory)
    }

    /// What is wrong with these numbers, if anything (the CLI checks this before parsing the layout).
    package static func problem(records: Int, merchants: Int, seed: UInt64, faultRate: Double,
                               ledgerFiles: Int = 1) -> String? {
        if records < 1 || records > maxRecords {
            return "--records must be between 1 and \(maxRecords), not \(records)"
        }
        if merchants < 1 || merchants > MerchantPopulation.maxCount {
            return "--merchants must be between 1 and \(MerchantPopulation.maxCount), not \(merchants)"
        }
        if seed > maxSeed {
            // summary.json writes the seed as a JSON integer; keep it within what readers hold exactly.
            return "--seed must be between 0 and \(maxSeed), not \(seed)"
        }
        if !(faultRate >= 0 && faultRate <= maxFaultRate) {
            return "--faults must be a fraction between 0 and \(maxFaultRate) (such as 0.01), not \(faultRate)"
        }
        if ledgerFiles < 1 || ledgerFiles > maxLedgerFiles {
            return "--ledger-files must be between 1 and \(maxLedgerFiles), not \(ledgerFiles)"
        }
        return nil
    }
}
