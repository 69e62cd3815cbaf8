/// The `message:` section of a layout whose records are length-prefixed ISO 8583 bitmap messages
/// (Mastercard IPM): how the file is framed (RDW, optional 1014-blocking), its code page, every data
/// element a message may carry with its length type, the PDS carriers, and the flat record the
/// layout's fields are read from.
///
/// The rest of the engine reads fixed-width records, so each message is decoded once into a *flat
/// record* (`ISO8583Decoder`): bytes 0-3 the MTI, 4-19 the primary and secondary bitmaps as read
/// (raw binary), then one slot per element the layout's fields name (`DE42`, `PDS0301`), in the order
/// first named, each as long as the element's longest value, the value left-justified and padded with
/// blanks (an absent element is all blanks). `MessageLayout` rewrites the layout's fields to those
/// slots before the layout is compiled, so kinds, roles, controls and rejects are the ones every
/// layout has.
public struct MessageSpec: Sendable, Equatable {
    public enum Blocking: String, Sendable, CaseIterable {
        case auto
        /// 1,012 data bytes then two `0x40` bytes per 1,014-byte block.
        case blocked1014 = "1014"
        case none
    }

    public enum Encoding: String, Sendable, CaseIterable {
        case auto, ascii
        case ebcdicCP500 = "ebcdic-cp500"
        case ebcdicCP037 = "ebcdic-cp037"
    }

    public enum LengthType: String, Sendable {
        case fixed, llvar, lllvar

        /// Digits of the length prefix.
        var prefixDigits: Int {
            switch self {
            case .fixed: 0
            case .llvar: 2
            case .lllvar: 3
            }
        }
    }

    /// One data element: fixed `length`, or a variable value of at most `length` bytes.
    public struct Element: Sendable, Equatable {
        public var number: Int
        public var type: LengthType
        public var length: Int
    }

    /// One slot of the flat record: a data element (`pds` nil) or a PDS (`de` nil).
    public struct Slot: Sendable, Equatable {
        public var name: String
        public var de: Int?
        public var pds: Int?
        /// 0-based offset in the flat record and byte capacity.
        public var offset: Int
        public var capacity: Int
    }

    public var blocking: Blocking
    public var encoding: Encoding
    /// By data element number (2-128).
    public var elements: [Element]
    /// The data elements whose value is a list of PDS (tag 4 + length 3 + data).
    public var pdsCarriers: [Int]
    /// Elements (3 digits) whose ISO 4217 numeric currency code the flat record holds as the
    /// alphabetic code (`840` -> `USD`); an unknown number stays as read.
    public var numericCurrency: [Int] = []
    /// Declared PDS: tag and longest value.
    public var pds: [(tag: Int, length: Int)]
    public var slots: [Slot] = []
    /// `sequence: 71`: the element numbering the messages 1, 2, 3, ... (checked as `message_number`).
    public var sequence: Int?
    public var sequenceSlot: Slot? { sequence.flatMap { number in slots.first { $0.de == number } } }

    /// Bytes of the MTI and both bitmaps at the start of the flat record.
    public static let headerBytes = 20
    /// The longest message a record descriptor word may announce.
    public static let maxMessageBytes = 65_535
    /// 1014-blocking: data bytes per block, block size.
    public static let blockData = 1_012
    public static let blockSize = 1_014

    public var flatLength: Int { slots.map { $0.offset + $0.capacity }.max() ?? Self.headerBytes }

    public func element(_ number: Int) -> Element? { elements.first { $0.number == number } }

    /// `DE42` -> 42, `PDS0301` -> (pds 301).
    public static func parseName(_ name: String) -> (de: Int?, pds: Int?)? {
        if name.hasPrefix("DE"), let number = Int(name.dropFirst(2)), (2...128).contains(number), "DE\(number)" == name {
            return (number, nil)
        }
        if name.hasPrefix("PDS"), name.count == 7, let tag = Int(name.dropFirst(3)), name.dropFirst(3).allSatisfy(\.isNumber) {
            return (nil, tag)
        }
        return nil
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.blocking == rhs.blocking && lhs.encoding == rhs.encoding && lhs.elements == rhs.elements
            && lhs.pdsCarriers == rhs.pdsCarriers && lhs.slots == rhs.slots && lhs.numericCurrency == rhs.numericCurrency
            && lhs.sequence == rhs.sequence
            && lhs.pds.map(\.tag) == rhs.pds.map(\.tag) && lhs.pds.map(\.length) == rhs.pds.map(\.length)
    }
}
