import SettleEngine

/// What `settle generate --layout visa-ctf` is asked for: transactions, merchants, seed, fault rate,
/// the file's code page and line ends, the ledger's style and files, the output directory. Checked
/// on creation, before any work.
package struct VisaGeneratorOptions: Sendable {
    /// How the records are separated.
    package enum LineEnd: String, Sendable, CaseIterable {
        case lf, crlf, none

        var bytes: [UInt8] {
            switch self {
            case .lf: [0x0A]
            case .crlf: [0x0D, 0x0A]
            case .none: []
            }
        }
    }

    /// Transactions (TCR 0s, drafts and others) to write; their continuations, batch trailers, the
    /// header and the file trailer come on top.
    package var transactions: Int
    package var merchants: Int
    package var seed: UInt64
    /// About this fraction of transactions gets one record fault (and about twice it a ledger
    /// difference); a batch trailer in about 1 / (RATE * 200) and the file trailer when RATE > 0 get a
    /// wrong figure.
    package var faultRate: Double
    package var codePage: CodePage
    package var lineEnd: LineEnd
    package var outputDirectory: String
    package var ledgerStyle: LedgerStyle
    package var ledgerFiles: Int

    /// 9 digits of transaction count in the file trailer (75-83).
    package static let maxTransactions = 99_999_999

    package init(transactions: Int, merchants: Int, seed: UInt64, faultRate: Double = 0, codePage: CodePage = .ascii,
                 lineEnd: LineEnd = .lf, outputDirectory: String, ledgerStyle: LedgerStyle = .plain,
                 ledgerFiles: Int = 1) throws(SettleError) {
        if let problem = Self.problem(transactions: transactions, merchants: merchants, seed: seed, faultRate: faultRate,
                                      ledgerFiles: ledgerFiles) {
            throw SettleError(.usage, problem)
        }
        if outputDirectory.isEmpty { throw SettleError(.usage, "the output directory must not be empty") }
        self.transactions = transactions
        self.merchants = merchants
        self.seed = seed
        self.faultRate = faultRate
        self.codePage = codePage
        self.lineEnd = lineEnd
        self.outputDirectory = outputDirectory
        self.ledgerStyle = ledgerStyle
        self.ledgerFiles = ledgerFiles
    }

    package static func problem(transactions: Int, merchants: Int, seed: UInt64, faultRate: Double = 0,
                               ledgerFiles: Int = 1) -> String? {
        if transactions < 1 || transactions > maxTransactions {
            return "--records must be between 1 and \(maxTransactions) with --layout visa-ctf, not \(transactions) "
                + "(the file trailer counts transactions in 9 digits)"
        }
        if merchants < 1 || merchants > 1_000_000 { return "--merchants must be between 1 and 1000000, not \(merchants)" }
        return GeneratorOptions.problem(records: transactions, merchants: merchants, seed: seed, faultRate: faultRate,
                                        ledgerFiles: ledgerFiles)
    }

    var ledgerSettings: LedgerGenerator.Settings {
        .init(style: ledgerStyle, fileCount: ledgerFiles, records: transactions, seed: seed, directory: outputDirectory)
    }
}

/// What a Visa generator run wrote, for the CLI's summary line.
package struct VisaGenerationReport: Sendable, Equatable {
    package var transactions: Int
    package var records: Int
    package var batches: Int
    package var rejected: Int
    package var fileBytes: Int
    package var ledgerRows: Int
    package var mismatches: Int
}
