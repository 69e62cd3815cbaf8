/// How a date is written in a ledger column (`date_format` in the ledger spec) or a layout's `date`
/// role, compiled once into byte tokens and read straight from the mapped bytes: no Foundation
/// formatter, no `String`, no allocation per row.
///
///     %Y  four-digit year     %y  two-digit year (2000-2099)
///     %m  two-digit month     %d  two-digit day
///     any other byte          itself (`-`, `/`, `.`, a space)
///
/// So `%Y-%m-%d` (the default, ISO 8601), `%Y%m%d`, `%d/%m/%Y`, `%m/%d/%Y`, `%d.%m.%Y`, `%y%m%d`.
public struct DateFormat: Sendable, Equatable {
    enum Token: Equatable, Sendable {
        case year4, year2, month, day
        case literal(UInt8)

        var width: Int {
            switch self {
            case .year4: 4
            case .year2, .month, .day: 2
            case .literal: 1
            }
        }
    }

    let tokens: [Token]
    /// Bytes a date in this format takes.
    public let width: Int
    /// As given, for messages and the manifest.
    public let text: String

    public static let iso = try! DateFormat("%Y-%m-%d")
    /// `YYYYMMDD`, the layouts' `date` type.
    public static let compact = try! DateFormat("%Y%m%d")
    /// `YYMMDD`, six-byte dates of bank layouts.
    public static let short = try! DateFormat("%y%m%d")

    /// Compiles `text`; throws a message naming what is wrong (a format needs %Y or %y, %m and %d once each).
    public init(_ text: String) throws {
        var tokens: [Token] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                tokens.append(.literal(byte))
                continue
            }
            switch bytes.popFirst() {
            case UInt8(ascii: "Y"): tokens.append(.year4)
            case UInt8(ascii: "y"): tokens.append(.year2)
            case UInt8(ascii: "m"): tokens.append(.month)
            case UInt8(ascii: "d"): tokens.append(.day)
            case UInt8(ascii: "%"): tokens.append(.literal(UInt8(ascii: "%")))
            default: throw SettleError(.usage, "date_format '\(text)': only %Y, %y, %m, %d and %% are known")
            }
        }
        let years = tokens.filter { $0 == .year4 || $0 == .year2 }.count
        guard years == 1, tokens.filter({ $0 == .month }).count == 1, tokens.filter({ $0 == .day }).count == 1 else {
            throw SettleError(.usage, "date_format '\(text)' needs a year (%Y or %y), a month (%m) and a day (%d), each once")
        }
        self.tokens = tokens
        self.width = tokens.reduce(0) { $0 + $1.width }
        self.text = text
    }

    /// The format of a layout's `date` role field of `length` bytes: `YYYYMMDD` or `YYMMDD`.
    public static func ofLayoutField(length: Int) -> DateFormat? {
        switch length {
        case 8: compact
        case 6: short
        default: nil
        }
    }

    /// The date in the `count` bytes at `start` as days since 1970-01-01, or nil when they are not
    /// a real calendar date in this format.
    @inline(__always)
    public func days(_ base: UnsafeRawPointer, start: Int, count: Int) -> Int32? {
        guard count == width else { return nil }
        var at = start
        var year = -1, month = 0, day = 0
        @inline(__always) func number(_ digits: Int) -> Int? {
            var value = 0
            for index in 0..<digits {
                let digit = base.load(fromByteOffset: at + index, as: UInt8.self) &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            at += digits
            return value
        }
        for token in tokens {
            switch token {
            case .year4: guard let value = number(4) else { return nil }; year = value
            case .year2: guard let value = number(2) else { return nil }; year = 2000 + value
            case .month: guard let value = number(2) else { return nil }; month = value
            case .day: guard let value = number(2) else { return nil }; day = value
            case .literal(let byte):
                guard base.load(fromByteOffset: at, as: UInt8.self) == byte else { return nil }
                at += 1
            }
        }
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= FieldDecoder.daysIn(month: month, year: year) else { return nil }
        return Int32(CalendarDay.days(year: year, month: month, day: day))
    }

    /// The same for the bytes of `text` (tests, messages).
    public func days(_ text: String) -> Int32? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return days(base, start: 0, count: bytes.count)
        }
    }
}

/// A date in a run: zigzag LEB128 of its days since 1970-01-01 (a day of this century is 3 bytes).
enum OccurrenceDate {
    @inline(__always)
    static func store(_ date: Int32, to pointer: UnsafeMutableRawPointer) -> Int {
        let zigzag = UInt32(bitPattern: (date << 1) ^ (date >> 31))
        return SpillEntry.writeVarint(UInt128(zigzag), pointer)
    }

    @inline(__always)
    static func load(_ pointer: UnsafeRawPointer, _ at: inout Int, _ available: Int) -> Int32? {
        guard let value = SpillEntry.readVarint(pointer, &at, available), let zigzag = UInt32(exactly: value) else { return nil }
        return Int32(bitPattern: zigzag >> 1) ^ -Int32(bitPattern: zigzag & 1)
    }
}
