import SettleEngine

/// Writes each kind of NACHA record into one reusable `NachaLine`, at the positions of the
/// NACHA specification (1-based, inclusive, as `datasets/layouts/nacha.yaml` gives them).
/// The generator appends `line.bytes` to the file after each call.
///
/// Fields the engine does not aggregate (accounts, receiver ids and names) are filled from a random
/// stream of their own, so they look like a real file's without touching the amounts' stream.
struct NachaRecords {
    private(set) var line = NachaLine()
    private var random: GeneratorRandom
    private let routing: NachaRouting

    init(seed: UInt64, routing: NachaRouting) {
        random = GeneratorRandom(seed: seed, stream: .fields)
        self.routing = routing
    }

    /// An entry's trace number: 8 digits of routing, then 7 of sequence (80-87 and 88-94).
    struct Trace {
        var routing: UInt64
        var sequence: UInt64

        /// The 15 digits as one number.
        var number: UInt64 { routing * 10_000_000 + sequence }
    }

    // ---- file and batch records ------------------------------------------------------------

    /// 1 File Header. `date` is YYMMDD and `time` HHMM, as numbers.
    mutating func fileHeader(destination: UInt64, origin: UInt64, date: Int, time: Int, destinationName: String,
                             originName: String, reference: String) {
        line.start(UInt8(ascii: "1"))
        line.text("01", start: 2, length: 2)                       // priority code
        line.digits(destination, start: 5, length: 9)              // 4-13: blank, then 9 digits
        line.digits(origin, start: 15, length: 9)                  // 14-23: blank, then 9 digits
        line.digits(date, start: 24, length: 6)
        line.digits(time, start: 30, length: 4)
        line.text("A", start: 34, length: 1)                       // file id modifier
        line.text("094", start: 35, length: 3)                     // record size
        line.text("10", start: 38, length: 2)                      // blocking factor
        line.text("1", start: 40, length: 1)                       // format code
        line.text(destinationName, start: 41, length: 23)
        line.text(originName, start: 64, length: 23)
        line.text(reference, start: 87, length: 8)
    }

    /// 5 Batch Header of a PPD, CCD, WEB, TEL, ADV or COR batch.
    mutating func batchHeader(_ company: NachaCompanies.Company, sec: NachaSEC, serviceClass: NachaServiceClass,
                              descriptiveDate: [UInt8], effectiveDate: Int, odfi: UInt64, batchNumber: Int) {
        line.start(UInt8(ascii: "5"))
        line.digits(serviceClass.rawValue, start: 2, length: 3)
        line.text(company.name, start: 5, length: 16)
        line.text(random.index(4) == 0 ? Self.discretionary : [], start: 21, length: 20)
        line.text(company.id, start: 41, length: 10)
        line.text(sec.code, start: 51, length: 3)
        line.text(sec.entryDescription, start: 54, length: 10)
        line.text(descriptiveDate, start: 64, length: 6)
        line.digits(effectiveDate, start: 70, length: 6)
        // 76-78 settlement date: blank, the ACH operator fills it in.
        line.text(sec == .adv ? "0" : "1", start: 79, length: 1)   // originator status
        line.digits(odfi, start: 80, length: 8)
        line.digits(batchNumber, start: 88, length: 7)
    }

    /// 5 Batch Header of an IAT batch: no company name; FX, country and currencies instead.
    mutating func iatBatchHeader(_ originator: NachaCompanies.Company, serviceClass: NachaServiceClass,
                                 destinationCanada: Bool, effectiveDate: Int, odfi: UInt64, batchNumber: Int) {
        line.start(UInt8(ascii: "5"))
        line.digits(serviceClass.rawValue, start: 2, length: 3)
        // 5-20 IAT indicator: blank.
        line.text("FF", start: 21, length: 2)                      // fixed to fixed
        line.text("3", start: 23, length: 1)                       // FX reference indicator
        // 24-38 FX reference: blank.
        line.text(destinationCanada ? "CA" : "US", start: 39, length: 2)
        line.text(originator.id, start: 41, length: 10)
        line.text("IAT", start: 51, length: 3)
        line.text(NachaSEC.iat.entryDescription, start: 54, length: 10)
        line.text("USD", start: 64, length: 3)
        line.text(destinationCanada ? "CAD" : "USD", start: 67, length: 3)
        line.digits(effectiveDate, start: 70, length: 6)
        line.text("1", start: 79, length: 1)
        line.digits(odfi, start: 80, length: 8)
        line.digits(batchNumber, start: 88, length: 7)
    }

    /// 8 Batch Control of every batch but ADV; `companyId` is nil for IAT (45-54 blank).
    mutating func batchControl(serviceClass: NachaServiceClass, entryAddendaCount: Int, entryHash: UInt64,
                               totalDebit: Int64, totalCredit: Int64, companyId: [UInt8]?, odfi: UInt64, batchNumber: Int) {
        line.start(UInt8(ascii: "8"))
        line.digits(serviceClass.rawValue, start: 2, length: 3)
        line.digits(entryAddendaCount, start: 5, length: 6)
        line.digits(entryHash, start: 11, length: 10)
        line.digits(totalDebit, start: 21, length: 12)
        line.digits(totalCredit, start: 33, length: 12)
        if let companyId { line.text(companyId, start: 45, length: 10) }
        // 55-73 message authentication code, 74-79 reserved: blank.
        line.digits(odfi, start: 80, length: 8)
        line.digits(batchNumber, start: 88, length: 7)
    }

    /// 8 Batch Control of an ADV batch: 20-digit totals.
    mutating func advBatchControl(entryAddendaCount: Int, entryHash: UInt64, totalDebit: Int64, totalCredit: Int64,
                                  odfi: UInt64, batchNumber: Int) {
        line.start(UInt8(ascii: "8"))
        line.digits(NachaServiceClass.advice.rawValue, start: 2, length: 3)
        line.digits(entryAddendaCount, start: 5, length: 6)
        line.digits(entryHash, start: 11, length: 10)
        line.digits(totalDebit, start: 21, length: 20)
        line.digits(totalCredit, start: 41, length: 20)
        // 61-79 ACH operator data: blank.
        line.digits(odfi, start: 80, length: 8)
        line.digits(batchNumber, start: 88, length: 7)
    }

    /// 9 File Control with the standard 12-digit totals (the file's last batch is never ADV).
    mutating func fileControl(batchCount: Int, blockCount: Int, entryAddendaCount: Int, entryHash: UInt64,
                              totalDebit: Int64, totalCredit: Int64) {
        line.start(UInt8(ascii: "9"))
        line.digits(batchCount, start: 2, length: 6)
        line.digits(blockCount, start: 8, length: 6)
        line.digits(entryAddendaCount, start: 14, length: 8)
        line.digits(entryHash, start: 22, length: 10)
        line.digits(totalDebit, start: 32, length: 12)
        line.digits(totalCredit, start: 44, length: 12)
        // 56-94 reserved: blank.
    }

    /// A line of 94 `9`s, padding the file to a multiple of 10 lines.
    mutating func filler() {
        line.start(UInt8(ascii: "9"))
        line.text(Self.nines, start: 2, length: 93)
    }

    // ---- entries -----------------------------------------------------------------------------

    /// 6 Entry Detail of a PPD, CCD, WEB, TEL or COR batch.
    mutating func entry(_ plan: NachaEntryPlan, receiver: Int, trace: Trace) {
        line.start(UInt8(ascii: "6"))
        line.digits(plan.transactionCode, start: 2, length: 2)
        line.digits(routing.receivers[receiver], start: 4, length: 8)
        line.digits(Int(routing.receiverCheckDigits[receiver]), start: 12, length: 1)
        line.randomDigits(start: 13, length: 6 + random.index(12), fieldLength: 17, random: &random)   // account
        line.digits(plan.amountMinor, start: 30, length: 10)
        if random.index(3) == 0 {
            line.randomDigits(start: 40, length: 9, fieldLength: 15, random: &random)                 // individual id
        }
        line.copy(NachaNames.individualNames, from: 22 * random.index(NachaNames.individualNameCount), start: 55, length: 22)
        // 77-78 discretionary data: blank.
        line.digits(plan.addenda.count > 0 ? 1 : 0, start: 79, length: 1)
        line.digits(trace.routing, start: 80, length: 8)
        line.digits(trace.sequence, start: 88, length: 7)
    }

    /// 6 Entry Detail of an IAT batch: the addenda count at 13-16, the foreign account at 40-74.
    mutating func iatEntry(_ plan: NachaEntryPlan, receiver: Int, trace: Trace) {
        line.start(UInt8(ascii: "6"))
        line.digits(plan.transactionCode, start: 2, length: 2)
        line.digits(routing.receivers[receiver], start: 4, length: 8)
        line.digits(Int(routing.receiverCheckDigits[receiver]), start: 12, length: 1)
        line.digits(plan.addenda.count, start: 13, length: 4)
        // 17-29 reserved: blank.
        line.digits(plan.amountMinor, start: 30, length: 10)
        line.randomDigits(start: 40, length: 10 + random.index(20), fieldLength: 35, random: &random)  // foreign account
        // 75-76 reserved, 77-78 OFAC screening indicators: blank.
        line.text("1", start: 79, length: 1)
        line.digits(trace.routing, start: 80, length: 8)
        line.digits(trace.sequence, start: 88, length: 7)
    }

    /// 6 Entry Detail of an ADV batch: account 13-27, a 12-digit amount at 28-39, and a trace of the
    /// ACH operator's routing (80-87), a Julian day (88-90) and a 4-digit sequence (91-94).
    mutating func advEntry(_ plan: NachaEntryPlan, receiver: Int, julianDay: Int, sequence: Int) {
        line.start(UInt8(ascii: "6"))
        line.digits(plan.transactionCode, start: 2, length: 2)
        line.digits(routing.receivers[receiver], start: 4, length: 8)
        line.digits(Int(routing.receiverCheckDigits[receiver]), start: 12, length: 1)
        line.randomDigits(start: 13, length: 6 + random.index(10), fieldLength: 15, random: &random)   // account
        line.digits(plan.amountMinor, start: 28, length: 12)
        line.digits(NachaRouting.routingNumber(routing.originators[0]), start: 40, length: 9)     // advice routing
        line.digits(1 + random.index(99_999), start: 49, length: 5)                             // file identification
        line.copy(NachaNames.individualNames, from: 22 * random.index(NachaNames.individualNameCount), start: 55, length: 22)
        line.text("0", start: 79, length: 1)
        line.digits(routing.operatorRouting, start: 80, length: 8)
        line.digits(julianDay, start: 88, length: 3)
        line.digits(sequence, start: 91, length: 4)
    }

    // ---- addenda -------------------------------------------------------------------------------

    /// 7 Addenda 05: payment related information, addenda sequence 1, the entry's sequence.
    mutating func paymentAddenda(entrySequence: UInt64) {
        line.start(UInt8(ascii: "7"))
        line.text("05", start: 2, length: 2)
        line.text(Self.paymentInformation[random.index(Self.paymentInformation.count)], start: 4, length: 80)
        line.digits(1, start: 84, length: 4)
        line.digits(entrySequence, start: 88, length: 7)
    }

    /// 7 Addenda 99 (return) or 98 (notification of change) of the entry with trace `trace`.
    mutating func returnOrChangeAddenda(change: Bool, trace: Trace) {
        line.start(UInt8(ascii: "7"))
        line.text(change ? "98" : "99", start: 2, length: 2)
        let codes = change ? Self.changeCodes : Self.returnCodes
        line.text(codes[random.index(codes.count)], start: 4, length: 3)
        let original = routing.originators[random.index(routing.originators.count)]
        line.digits(original, start: 7, length: 8)                                  // original trace, 7-21
        line.randomDigits(start: 15, length: 7, fieldLength: 7, random: &random)
        // 22-27 date of death (return) or reserved (change): blank.
        line.digits(routing.receivers[random.index(routing.receivers.count)], start: 28, length: 8)
        if change {
            line.randomDigits(start: 36, length: 9 + random.index(8), fieldLength: 29, random: &random)  // corrected data
        } else {
            line.text(Self.returnInformation, start: 36, length: 44)
        }
        line.digits(trace.routing, start: 80, length: 8)
        line.digits(trace.sequence, start: 88, length: 7)
    }

    /// 7 Addenda 10 to 18 of an IAT entry. `sequence` numbers the 17s and the 18s (84-87).
    mutating func iatAddenda(type: Int, sequence: Int, amountMinor: Int64, entrySequence: UInt64) {
        line.start(UInt8(ascii: "7"))
        line.digits(type, start: 2, length: 2)
        switch type {
        case 10:
            line.text("ANN", start: 4, length: 3)                                    // transaction type
            line.digits(amountMinor, start: 7, length: 18)                           // foreign payment amount
            line.randomDigits(start: 25, length: 12, fieldLength: 22, random: &random)  // foreign trace number
            line.copy(NachaNames.individualNames, from: 22 * random.index(NachaNames.individualNameCount), start: 47, length: 22)
        case 11:
            line.text("TRADE ORIGINATOR", start: 4, length: 35)
            line.text("15 WEST PLACE STREET", start: 39, length: 35)
        case 12, 16:
            line.text(random.index(2) == 0 ? "JACOBSTOWN*PA\\" : "LETTERTOWN*AB\\", start: 4, length: 35)
            line.text(random.index(2) == 0 ? "US*19305\\" : "CA*80014\\", start: 39, length: 35)
        case 13:
            line.text("ORIGINATING BANK", start: 4, length: 35)
            line.text("01", start: 39, length: 2)
            line.digits(NachaRouting.routingNumber(routing.originators[0]), start: 41, length: 9)
            line.text("US", start: 75, length: 3)
        case 14:
            line.text("RECEIVING BANK", start: 4, length: 35)
            line.text("01", start: 39, length: 2)
            line.digits(NachaRouting.routingNumber(routing.receivers[random.index(routing.receivers.count)]), start: 41, length: 9)
            line.text("US", start: 75, length: 3)
        case 15:
            line.randomDigits(start: 4, length: 10, fieldLength: 15, random: &random)  // receiver id number
            line.text("121 FRONT STREET", start: 19, length: 35)
        case 17:
            line.text("INTERNATIONAL PAYMENT", start: 4, length: 80)
            line.digits(sequence, start: 84, length: 4)
        default:
            line.text("CORRESPONDENT BANK", start: 4, length: 35)
            line.text("01", start: 39, length: 2)
            line.randomDigits(start: 41, length: 17, fieldLength: 34, random: &random)
            line.text("FR", start: 75, length: 3)
            line.digits(sequence, start: 84, length: 4)
        }
        line.digits(entrySequence, start: 88, length: 7)
    }

    // ---- constants ----------------------------------------------------------------------------

    private static let nines = [UInt8](repeating: UInt8(ascii: "9"), count: 93)
    private static let discretionary = Array("PAYROLL RUN".utf8)
    private static let paymentInformation = ["INVOICE 4481 NET 30", "PAYGATE TRANSACTION", "RMR*IV*0012345**125.00\\",
                                             "MONTHLY PREMIUM", "DEPOSIT"].map { Array($0.utf8) }
    private static let returnCodes = ["R01", "R02", "R03", "R04", "R10", "R29"].map { Array($0.utf8) }
    private static let changeCodes = ["C01", "C02", "C03", "C05", "C06"].map { Array($0.utf8) }
    private static let returnInformation = Array("RETURNED ITEM".utf8)
}
