import SettleEngine

/// A fault the generator puts into a detail record on purpose. Each faulty record has exactly one.
enum RecordFault {
    /// A letter in the amount-role field.
    case badAmount
    /// An unknown code (`X`, `XX`, ...) in the direction field.
    case badCode
    /// An impossible date in the first date-typed detail field.
    case badDate
    /// An exact copy of the record written right after it (valid: it counts everywhere).
    case duplicate

    /// The reject the engine must report for the record, if it is invalid.
    var rejectReason: ExpectedReject? {
        switch self {
        case .badAmount: .badAmount
        case .badCode: .badCode
        case .badDate: .badDate
        case .duplicate: nil
        }
    }
}

/// The reject reasons the generator produces, with the exact codes the engine writes in
/// `rejects.csv`. Spelled out here rather than taken from the engine, so a renamed code is caught.
enum ExpectedReject: Int, CaseIterable {
    case badAmount, badCode, badDate, shortRecord

    var code: String {
        switch self {
        case .badAmount: "bad_amount"
        case .badCode: "bad_code"
        case .badDate: "bad_date"
        case .shortRecord: "short_record"
        }
    }
}
