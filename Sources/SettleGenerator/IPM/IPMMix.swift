import SettleEngine

/// The messages of a generated IPM file and how often each comes: mostly first presentments,
/// some reversals, second presentments and chargebacks, and administrative (1644) and fee
/// collection (1740) messages between them; DE 3's transaction types with their directions.
struct IPMMix {
    enum Detail {
        case presentment(functionCode: String)
        case reversal(functionCode: String)
        case chargeback(functionCode: String)

        var mti: String {
            if case .chargeback = self { return "1442" }
            return "1240"
        }

        var functionCode: String {
            switch self {
            case .presentment(let code), .reversal(let code), .chargeback(let code): code
            }
        }

        /// A chargeback or a reversal books the opposite of its transaction type's direction.
        var reversesDirection: Bool {
            if case .presentment = self { return false }
            return true
        }
    }

    /// Draws a detail: 84% first presentments, 3% reversals, 4% second presentments, 9% chargebacks.
    func detail(_ random: inout GeneratorRandom) -> Detail {
        let draw = random.index(100)
        switch draw {
        case ..<84: return .presentment(functionCode: "200")
        case ..<87: return .reversal(functionCode: ["200", "205", "282"][random.index(3)])
        case ..<91: return .presentment(functionCode: ["205", "282"][random.index(2)])
        default: return .chargeback(functionCode: ["450", "451", "453", "454"][random.index(4)])
        }
    }

    /// DE 3's first two digits and whether they mean a credit: purchases and cash (00, 01, 09, 12,
    /// 17, 18) are debits, refunds and payments (20, 28) credits.
    func transactionType(_ random: inout GeneratorRandom) -> (code: String, isCredit: Bool) {
        let draw = random.index(100)
        switch draw {
        case ..<86: return ("00", false)
        case ..<92: return (["01", "09", "12", "17", "18"][random.index(5)], false)
        case ..<98: return ("20", true)
        default: return ("28", true)
        }
    }

    /// After a detail: nothing mostly, else an administrative message or a fee collection.
    func other(_ random: inout GeneratorRandom) -> (mti: String, functionCode: String)? {
        let draw = random.index(1000)
        switch draw {
        case ..<10: return ("1644", ["685", "688", "603"][random.index(3)])
        case ..<15: return ("1740", "700")
        default: return nil
        }
    }
}
