import SettleEngine

/// What goes into a generated NACHA file, drawn batch by batch and entry by entry: the SEC code and
/// service class of each batch, its size, and each entry's transaction code, amount and addenda.
///
/// Batches are mostly PPD, CCD, WEB and TEL, with IAT (7 to 14 addenda per entry), ADV (service class
/// 280, 12-digit amounts, codes 81-88) and COR (notifications of change) among them. Entries are mostly
/// live credits 22/32 and debits 27/37, with prenotes (23/28/33/38, amount 0), zero-dollar entries
/// (24/29/34/39), returns (21/26/31/36 with a 99 addenda) and 05 addenda. Only codes that
/// `datasets/layouts/nacha.yaml` lists are written.
enum NachaSEC: Int, CaseIterable {
    case ppd, ccd, web, tel, iat, adv, cor

    var code: String {
        switch self {
        case .ppd: "PPD"
        case .ccd: "CCD"
        case .web: "WEB"
        case .tel: "TEL"
        case .iat: "IAT"
        case .adv: "ADV"
        case .cor: "COR"
        }
    }

    /// Entry description (54-63), as an originator would write it.
    var entryDescription: String {
        switch self {
        case .ppd: "PAYROLL"
        case .ccd: "VENDOR PAY"
        case .web: "WEB PMT"
        case .tel: "TEL ORDER"
        case .iat: "TRADEPAYMT"
        case .adv: "ACCOUNTING"
        case .cor: "NOC"
        }
    }

    /// Whether its entries may carry a 05 addenda (TEL entries carry none).
    var allowsPaymentAddenda: Bool { self == .ppd || self == .ccd || self == .web }
}

/// Service class code (2-4 of the batch header and control).
enum NachaServiceClass: Int {
    case mixed = 200, creditsOnly = 220, debitsOnly = 225, advice = 280
}

/// What follows an entry.
enum NachaAddendaKind {
    case none
    /// One 05 addenda (payment related information).
    case payment
    /// One 99 addenda (return).
    case returned
    /// One 98 addenda (notification of change).
    case change
    /// The IAT addenda 10-16, then `remittance` 17s and `correspondents` 18s.
    case iat(remittance: Int, correspondents: Int)

    var count: Int {
        switch self {
        case .none: 0
        case .payment, .returned, .change: 1
        case .iat(let remittance, let correspondents): 7 + remittance + correspondents
        }
    }
}

/// One entry as the generator means it, before it is written.
struct NachaEntryPlan {
    /// Two digits, 2-3 of the entry.
    var transactionCode: Int
    var amountMinor: Int64
    var isCredit: Bool
    var addenda: NachaAddendaKind
}

/// An integer ladder of about 12% steps from `low` to `high`: a step drawn uniformly, then a value
/// within it, so amounts spread evenly over orders of magnitude without `exp` (whose last bit could
/// differ between C libraries, and the generator's bytes must not).
struct NachaLadder {
    private let steps: [Int64]

    init(_ low: Int64, _ high: Int64) {
        var steps = [low]
        while steps[steps.count - 1] < high {
            let last = steps[steps.count - 1]
            steps.append(min(high, max(last + 1, last * 112 / 100)))
        }
        self.steps = steps
    }

    func draw(_ random: inout GeneratorRandom) -> Int64 {
        guard steps.count > 1 else { return steps[0] }
        let step = random.index(steps.count - 1)
        let low = steps[step]
        return low + Int64(random.below(UInt64(steps[step + 1] - low)))
    }
}

/// The draws themselves. All probabilities are in percent or per mille of `random.index`.
struct NachaMix {
    private let smallBatch = NachaLadder(21, 300)
    private let largeBatch = NachaLadder(301, 3_000)
    private let payrollCredit = NachaLadder(5_000, 300_000)
    private let consumerDebit = NachaLadder(1_000, 200_000)
    private let corporate = NachaLadder(5_000, 500_000)
    private let web = NachaLadder(500, 100_000)
    private let tel = NachaLadder(500, 50_000)
    private let advice = NachaLadder(50_000, 2_000_000)

    /// A batch's SEC code: mostly PPD, CCD, WEB and TEL. No IAT without an IAT originator.
    func sec(_ random: inout GeneratorRandom, hasIAT: Bool) -> NachaSEC {
        let draw = random.index(100)
        switch draw {
        case 0..<40: return .ppd
        case 40..<62: return .ccd
        case 62..<80: return .web
        case 80..<88: return .tel
        case 88..<92: return hasIAT ? .iat : .ppd
        case 92..<97: return .adv
        default: return .cor
        }
    }

    /// Entries in a batch of `sec`: from one to a few thousand.
    func batchSize(_ sec: NachaSEC, _ random: inout GeneratorRandom) -> Int {
        switch sec {
        case .iat: return 1 + random.index(30)
        case .adv: return 1 + random.index(300)
        case .cor: return 1 + random.index(30)
        case .ppd, .ccd, .web, .tel:
            switch random.index(100) {
            case 0..<55: return 1 + random.index(20)
            case 55..<90: return Int(smallBatch.draw(&random))
            default: return Int(largeBatch.draw(&random))
            }
        }
    }

    func serviceClass(_ sec: NachaSEC, _ random: inout GeneratorRandom) -> NachaServiceClass {
        switch sec {
        case .adv: return .advice
        case .cor: return .mixed
        case .tel: return random.index(4) == 0 ? .mixed : .debitsOnly
        case .ppd, .ccd, .web, .iat:
            switch random.index(100) {
            case 0..<60: return .mixed
            case 60..<85: return .creditsOnly
            default: return .debitsOnly
            }
        }
    }

    /// One entry of a batch.
    func entry(_ sec: NachaSEC, _ serviceClass: NachaServiceClass, _ random: inout GeneratorRandom) -> NachaEntryPlan {
        switch sec {
        case .adv:
            // 81-88: odd codes are credits, even codes debits.
            let code = 81 + random.index(8)
            return NachaEntryPlan(transactionCode: code, amountMinor: advice.draw(&random), isCredit: code % 2 == 1,
                                  addenda: .none)
        case .cor:
            // A notification of change: amount 0, codes 21/26/31/36, one 98 addenda.
            let isCredit = random.index(2) == 0
            let code = (random.index(5) == 0 ? 30 : 20) + (isCredit ? 1 : 6)
            return NachaEntryPlan(transactionCode: code, amountMinor: 0, isCredit: isCredit, addenda: .change)
        case .iat:
            let isCredit = direction(sec, serviceClass, &random)
            let account = random.index(5) == 0 ? 30 : 20
            let prenote = random.index(100) == 0
            let code = account + (isCredit ? 2 : 7) + (prenote ? 1 : 0)
            let remittance = random.index(10) < 3 ? 1 + random.index(2) : 0
            let correspondents = random.index(10) < 2 ? 1 + random.index(5) : 0
            return NachaEntryPlan(transactionCode: code, amountMinor: prenote ? 0 : corporate.draw(&random),
                                  isCredit: isCredit,
                                  addenda: .iat(remittance: remittance, correspondents: correspondents))
        case .ppd, .ccd, .web, .tel:
            let isCredit = direction(sec, serviceClass, &random)
            let account = random.index(5) == 0 ? 30 : 20
            let kind = random.index(1000)
            if kind < 10 {
                // Prenote: 23/28/33/38, amount 0, no addenda.
                return NachaEntryPlan(transactionCode: account + (isCredit ? 3 : 8), amountMinor: 0, isCredit: isCredit,
                                      addenda: .none)
            }
            if kind < 15 {
                // Zero-dollar: 24/29/34/39, with remittance information where the SEC code allows it.
                return NachaEntryPlan(transactionCode: account + (isCredit ? 4 : 9), amountMinor: 0, isCredit: isCredit,
                                      addenda: sec.allowsPaymentAddenda ? .payment : .none)
            }
            let amount = self.amount(sec, isCredit: isCredit, &random)
            if kind < 25 {
                // Return: 21/26/31/36 with the original amount and a 99 addenda.
                return NachaEntryPlan(transactionCode: account + (isCredit ? 1 : 6), amountMinor: amount,
                                      isCredit: isCredit, addenda: .returned)
            }
            let withPayment = sec.allowsPaymentAddenda && kind < 75
            return NachaEntryPlan(transactionCode: account + (isCredit ? 2 : 7), amountMinor: amount, isCredit: isCredit,
                                  addenda: withPayment ? .payment : .none)
        }
    }

    /// Credit or debit, as the service class allows; in mixed batches as the SEC code suggests.
    private func direction(_ sec: NachaSEC, _ serviceClass: NachaServiceClass, _ random: inout GeneratorRandom) -> Bool {
        switch serviceClass {
        case .creditsOnly: return true
        case .debitsOnly: return false
        case .mixed, .advice:
            let debitPercent = switch sec {
            case .ppd: 40
            case .web: 80
            case .tel: 90
            default: 50
            }
            return random.index(100) >= debitPercent
        }
    }

    private func amount(_ sec: NachaSEC, isCredit: Bool, _ random: inout GeneratorRandom) -> Int64 {
        switch sec {
        case .ppd: (isCredit ? payrollCredit : consumerDebit).draw(&random)
        case .web: web.draw(&random)
        case .tel: tel.draw(&random)
        default: corporate.draw(&random)
        }
    }
}
