import SettleEngine

/// What `settle generate --layout mastercard-ipm` is asked for: detail messages, merchants, seed,
/// the file's blocking and code page, the ledger's fault rate, style and files, and the output
/// directory. Checked on creation, before any work.
package struct IPMGeneratorOptions: Sendable {
    /// Detail messages (presentments and chargebacks); header, trailer and other messages come on top.
    package var details: Int
    package var merchants: Int
    package var seed: UInt64
    /// Ledger faults only (as for NACHA): the IPM file itself stays valid.
    package var faultRate: Double
    package var blocked: Bool
    package var codePage: CodePage
    package var outputDirectory: String
    package var ledgerStyle: LedgerStyle
    package var ledgerFiles: Int

    /// PDS 0306 holds the message count in 8 digits.
    package static let maxDetails = 90_000_000

    package init(details: Int, merchants: Int, seed: UInt64, faultRate: Double = 0, blocked: Bool = true, codePage: CodePage = .ebcdicCP500,
                outputDirectory: String, ledgerStyle: LedgerStyle = .plain, ledgerFiles: Int = 1) throws(SettleError) {
        if let problem = Self.problem(details: details, merchants: merchants, seed: seed, faultRate: faultRate, ledgerFiles: ledgerFiles) {
            throw SettleError(.usage, problem)
        }
        if outputDirectory.isEmpty { throw SettleError(.usage, "the output directory must not be empty") }
        self.details = details
        self.merchants = merchants
        self.seed = seed
        self.faultRate = faultRate
        self.blocked = blocked
        self.codePage = codePage
        self.outputDirectory = outputDirectory
        self.ledgerStyle = ledgerStyle
        self.ledgerFiles = ledgerFiles
    }

    var ledgerSettings: LedgerGenerator.Settings {
        .init(style: ledgerStyle, fileCount: ledgerFiles, records: details, seed: seed, directory: outputDirectory)
    }

    package static func problem(details: Int, merchants: Int, seed: UInt64, faultRate: Double = 0, ledgerFiles: Int = 1) -> String? {
        if details < 1 || details > maxDetails {
            return "--records must be between 1 and \(maxDetails) with --layout mastercard-ipm, not \(details): the trailer's "
                + "PDS 0306 counts the messages in 8 digits"
        }
        if merchants < 1 || merchants > MerchantPopulation.maxCount {
            return "--merchants must be between 1 and \(MerchantPopulation.maxCount), not \(merchants)"
        }
        return GeneratorOptions.problem(records: details, merchants: merchants, seed: seed, faultRate: faultRate, ledgerFiles: ledgerFiles)
    }
}

/// What an IPM generator run wrote, for the CLI's summary line.
package struct IPMGenerationReport: Sendable, Equatable {
    package var messages: Int
    package var details: Int
    package var chargebacks: Int
    package var reversals: Int
    package var others: Int
    package var fileBytes: Int
    package var totalsRows: Int
    package var ledgerRows: Int
    package var mismatches: Int
}
