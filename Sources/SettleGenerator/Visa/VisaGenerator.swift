import SettleEngine

/// `settle generate --layout visa-ctf`: writes a Visa Base II clearing file (`settlement.ctf`) in
/// ASCII or EBCDIC with LF, CRLF or no line ends, the acquirer's ledger of its drafts (`ledger.csv`,
/// by the flat layouts' ledger machinery) and the ground truth, deterministically from the seed.
///
/// The file: a TC 90 header; batches of 1 to 400 transactions, each closed by a TC 91 with exact
/// figures; a TC 92. A draft (TCs 05, 06, 07, 15-17, 25-27, 35-37) is a TCR 0, always a TCR 1 (the
/// card acceptor id, the merchant), a TCR 5 (interchange fee, 6 decimals, signed) about 60% of the
/// time and a TCR 7 (chip data) about 20%. About 2% of transactions are TC 46 or 50 (a TCR 0 only,
/// outside the totals). Amounts are in the minor units of the drafts' ISO 4217 numeric currency; the
/// totals are in millionths (the layout's scale, set by the fee's 6 decimals).
///
/// `--faults RATE`: about RATE of the transactions get one fault (a letter in the source amount, an
/// unknown TC, no TCR 1, an overlong TCR 0 where lines allow it, an orphan TCR 1 after a TC 50, or the
/// whole transaction written twice), and some trailers a wrong figure; the ledger differs as for a flat
/// layout. `VisaTruth` notes what the engine must report.
package enum VisaGenerator {
    package static let fileName = "settlement.ctf"
    static let debitCodes = ["05", "07", "16", "26", "35", "37"]
    static let creditCodes = ["06", "15", "17", "25", "27", "36"]
    static let bin: UInt64 = 400_123

    package static func run(_ options: VisaGeneratorOptions) throws(SettleError) -> VisaGenerationReport {
        var setup = GeneratorRandom(seed: options.seed, stream: .setup)
        let currencies = try CurrencyTable(fieldType: .text, length: 3, values: [], fieldName: "currency")
        let homes = (0..<options.merchants).map { _ in currencies.drawHome(&setup) }
        let ids = (0..<options.merchants).map { merchant -> [UInt8] in
            var id = Array("VM".utf8) + [UInt8](repeating: 0x30, count: 13)
            DecimalDigits.write(UInt64(merchant), into: &id, at: 2, width: 13)
            return id
        }
        let merchants = MerchantIDs(count: options.merchants, order: Array(0..<options.merchants), homeCurrency: homes) { ids[$0][...] }
        let fileDay = CalendarDate(year: 2025, month: 1, day: 1).daysSinceEpoch + Int(options.seed % 365)
        let fileDate = CalendarDate(daysSinceEpoch: fileDay)
        let arns = ARNWriter(fileDate: fileDate, random: &setup)
        let directory = options.outputDirectory
        try ChunkedOutput.makeDirectories(directory + "/" + Generator.expectedDirectory)
        var context = try VisaWriter(options: options, currencies: currencies, merchants: merchants, arns: arns,
                                     fileDate: fileDate, ids: ids)
        try context.writeFile()
        return try context.finish()
    }
}
