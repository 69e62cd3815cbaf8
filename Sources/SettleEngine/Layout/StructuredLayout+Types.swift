/// The value types of `StructuredLayout`'s tables, and a record's roles and measures.
extension StructuredLayout {
    /// Where a merchant or currency part comes from.
    public enum Source: Sendable, Equatable {
        /// A field of the record itself.
        case own(offset: Int, length: Int)
        /// A context slot (a field of the group or file header in force).
        case context(Int)
        /// Not defined for this record.
        case missing
    }

    /// What one record adds to a scope's measures.
    public struct Update: Sendable {
        public enum Operation: Sendable, Equatable {
            case count, debit, credit, amount, net, fee
            /// The digits field at this offset and length.
            case field(offset: Int, length: Int)
        }
        public var measure: Int
        public var operation: Operation
        /// Only when this field (offset, length) holds one of `whereValues` (packed, blank-padded).
        public var whereOffset = -1
        public var whereLength = 0
        public var whereValues: [UInt64] = []
    }

    /// One measure accumulated per scope (deduplicated across controls).
    public struct Measure: Sendable, Hashable {
        public var kinds: [StructuredKind]?
        public var sum: ControlSpec.Sum?
        public var whereField: String?
        public var whereValues: [String]
    }

    /// What recognising a record needs, as plain values (no arrays): up to three code positions and
    /// three match entries inline, so the per-record loop copies nothing that is reference counted.
    public struct Recognizer: Sendable {
        public var hasFill = false
        public var fill: UInt8 = 0
        public var length = 0
        public var hasCode = false
        public var code: UInt64 = 0
        public var codeCount = 0
        public var code0 = (offset: 0, length: 0), code1 = (offset: 0, length: 0), code2 = (offset: 0, length: 0)
        public var matchCount = 0
        public var match0 = (offset: 0, length: 0, value: UInt64(0)), match1 = (offset: 0, length: 0, value: UInt64(0)),
                   match2 = (offset: 0, length: 0, value: UInt64(0))
        public var hasWhen = false

        @inline(__always)
        func codeMatches(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
            var value: UInt64 = 0
            for index in 0..<codeCount {
                let position = index == 0 ? code0 : index == 1 ? code1 : code2
                if position.offset + position.length > length { return false }
                value = value << (8 * UInt64(position.length)) | FieldDecoder.pack(base, offset: offset + position.offset, length: position.length)
            }
            return value == code
        }

        @inline(__always)
        func matchesHold(_ base: UnsafeRawPointer, offset: Int, length: Int) -> Bool {
            for index in 0..<matchCount {
                let match = index == 0 ? match0 : index == 1 ? match1 : match2
                if match.offset + match.length > length
                    || FieldDecoder.pack(base, offset: offset + match.offset, length: match.length) != match.value { return false }
            }
            return true
        }
    }

    /// Plain values of a detail's roles, for the per-record loop.
    public struct Roles: Sendable {
        public var amountOffset = 0, amountLength = 0, hasAmount = false, amountSigned = false, amountMultiplier: Int64 = 1
        public var directionOffset = 0, directionLength = 0, hasDirection = false
        public var feeOffset = 0, feeLength = 0, hasFee = false, feeSigned = false, feeMultiplier: Int64 = 1
        public var referenceOffset = 0, referenceLength = 0, hasReference = false
    }

    public struct Record: Sendable {
        public var index: Int
        public var kind: StructuredKind
        public var name: String
        public var codeAt: [(offset: Int, length: Int)]
        public var code: UInt64
        public var hasCode: Bool
        public var matches: [(offset: Int, length: Int, value: UInt64)]
        /// Context slot whose trimmed value must be in `whenValues`, or -1.
        public var whenSlot: Int
        public var whenValues: [[UInt8]]
        public var length: Int
        public var fill: UInt8?
        public var fields: [CompiledLayout.Field]
        public var spec: StructuredRecordSpec
        public var sensitiveRanges: [Range<Int>]
        /// Header fields copied into context slots: (slot, offset, length).
        public var contextWrites: [(slot: Int, offset: Int, length: Int)]
        public var amount: CompiledLayout.Field?
        public var amountSigned = false
        public var amountMultiplier: Int64 = 1
        public var direction: CompiledLayout.Field?
        public var debitCodes: [UInt64] = []
        public var creditCodes: [UInt64] = []
        public var fee: CompiledLayout.Field?
        public var feeSigned = false
        public var feeMultiplier: Int64 = 1
        public var merchantParts: [Source] = []
        /// Every part comes from context: the key is computed once per context change.
        public var merchantFromContext = false
        public var currency: Source = .missing
        public var reference: CompiledLayout.Field?
        public var date: CompiledLayout.Field?
        public var updates: [Update] = []
        /// Role fields read from another record of the entry, copied after the detail's own bytes
        /// (`targetOffset`): the detail is then read from that assembled record.
        public var externals: [External] = []
        /// The continuation specs the detail needs (deferred until they are read), in order.
        public var continuations: [Int] = []
        /// The detail's bytes followed by its external role fields.
        public var assembledLength = 0
    }

    /// One role field of a detail read from a continuation (`slot` -1) or a context slot.
    public struct External: Sendable {
        public var continuation: Int
        public var slot: Int
        public var sourceOffset: Int
        public var length: Int
        public var targetOffset: Int
        /// As validated in the assembled record.
        public var field: CompiledLayout.Field
        public var spec: FieldSpec
        /// `segment_u.amount_paid`, for rejects.
        public var label: String
    }

    /// The plain role values of a record.
    public func roles(_ index: Int) -> Roles { records[index].roles }

    static func measure(_ control: ControlSpec) -> Measure? {
        switch control.measure {
        case .count(let kinds): return Measure(kinds: kinds, sum: nil, whereField: control.whereField, whereValues: control.whereValues)
        case .sum(let sum): return Measure(kinds: nil, sum: sum, whereField: control.whereField, whereValues: control.whereValues)
        case .equals: return nil
        }
    }

    /// The index of a control's measure.
    public func measureIndex(_ control: ControlSpec) -> Int? {
        Self.measure(control).flatMap { measures.firstIndex(of: $0) }
    }
}

extension StructuredLayout.Record {
    /// The plain role values of this record, for the per-record loop.
    public var roles: StructuredLayout.Roles {
        let record = self
        var roles = StructuredLayout.Roles()
        if let amount = record.amount {
            roles.hasAmount = true
            roles.amountOffset = amount.offset
            roles.amountLength = amount.length
            roles.amountSigned = record.amountSigned
            roles.amountMultiplier = record.amountMultiplier
        }
        if let direction = record.direction {
            roles.hasDirection = true
            roles.directionOffset = direction.offset
            roles.directionLength = direction.length
        }
        if let fee = record.fee {
            roles.hasFee = true
            roles.feeOffset = fee.offset
            roles.feeLength = fee.length
            roles.feeSigned = record.feeSigned
            roles.feeMultiplier = record.feeMultiplier
        }
        if let reference = record.reference {
            roles.hasReference = true
            roles.referenceOffset = reference.offset
            roles.referenceLength = reference.length
        }
        return roles
    }
}
