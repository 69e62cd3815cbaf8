/// What `settle generate --layout nacha` is asked for: entries, merchants, seed and the output
/// directory. Checked on creation, before any work.
public struct NachaGeneratorOptions: Sendable {
    /// Entry detail records (type 6) to write; addenda, batch and file records come on top.
    public var entries: Int
    /// Merchants in the population: company identification and name pairs, and IAT originators.
    public var merchants: Int
    public var seed: UInt64
    public var outputDirectory: String

    /// NACHA's file control holds the block count in 6 digits: at most 999,999 blocks of 10 lines,
    /// 9,999,990 lines. The generator's mix averages about 1.11 lines per entry (addenda, batch
    /// header and control), so 8,500,000 entries take about 9.4M lines (9,384,470 to 9,412,390 over
    /// three seeds), far below the limit; `NachaGenerator` still checks the lines against it.
    public static let maxEntries = 8_500_000
    /// The 6-digit block count's limit on physical lines (10 per block).
    public static let maxLines = 9_999_990
    public static let maxMerchants = 1_000_000
    public static let maxSeed = UInt64(Int64.max)

    public init(entries: Int, merchants: Int, seed: UInt64, outputDirectory: String) throws(SettleError) {
        if let problem = Self.problem(entries: entries, merchants: merchants, seed: seed) {
            throw SettleError(.usage, problem)
        }
        if outputDirectory.isEmpty { throw SettleError(.usage, "the output directory must not be empty") }
        self.entries = entries
        self.merchants = merchants
        self.seed = seed
        self.outputDirectory = outputDirectory
    }

    /// What is wrong with these numbers, if anything (the CLI checks this in `validate()`).
    public static func problem(entries: Int, merchants: Int, seed: UInt64) -> String? {
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
        return nil
    }
}

/// What a NACHA generator run wrote, for the CLI's summary line.
public struct NachaGenerationReport: Sendable, Equatable {
    public var entries: Int
    public var addenda: Int
    public var batches: Int
    public var iatBatches: Int
    public var advBatches: Int
    /// Physical lines, filler included.
    public var lines: Int
    public var fileBytes: Int
    /// Rows of `expected/totals.csv`.
    public var totalsRows: Int
    public var outputDirectory: String
}
