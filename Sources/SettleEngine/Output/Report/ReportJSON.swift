import Foundation

/// summary.json as the report reads it: a tree of values, so that parts written by other versions or
/// stages (an interrupted run, a run with or without reconciliation) are simply present or absent.
package enum ReportJSON: Sendable {
    case object([String: ReportJSON])
    case array([ReportJSON])
    case string(String)
    case number(Double)
    case null

    package static func parse(_ bytes: [UInt8], path: String) throws -> ReportJSON {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw SettleError(.unreadableInput, "\(path): not valid JSON (\(error.localizedDescription))")
        }
        return convert(object)
    }

    private static func convert(_ value: Any) -> ReportJSON {
        if let text = value as? String { return .string(text) }
        if let dictionary = value as? [String: Any] { return .object(dictionary.mapValues(convert)) }
        if let array = value as? [Any] { return .array(array.map(convert)) }
        if let number = value as? NSNumber { return .number(number.doubleValue) }
        return .null
    }

    package subscript(key: String) -> ReportJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    package var members: [String: ReportJSON] {
        if case .object(let members) = self { return members }
        return [:]
    }

    package var elements: [ReportJSON] {
        if case .array(let elements) = self { return elements }
        return []
    }

    package var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    package var double: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    package var int: Int? { double.flatMap { Int(exactly: $0.rounded()) } }

    /// A count or an amount, however it was written (money is written as a string of digits).
    package var figure: String? {
        switch self {
        case .string(let text): return text
        case .number(let value): return Int(exactly: value.rounded()).map(String.init)
        default: return nil
        }
    }
}
