/// The message-number check of a message layout (`message.sequence`, DE 71 in IPM): the element
/// starts at 1 and increases by one from message to message, so each decoded message's value must
/// equal its record number in the file. A partition knows only its local indices: it keeps the
/// offset `value - local` of its first message and the first message where that offset changes;
/// the report adds the partition's first record number and names the file's first break, and
/// whether the number went back or skipped. Messages that cannot be decoded are not checked.
public struct MessageSequence: Sendable, Equatable {
    /// Local index and value of the partition's first checked message.
    public var firstLocal: Int
    public var firstValue: Int64
    /// The first message whose value breaks the partition's own run: local index and value (-1: blank).
    public var breakLocal: Int?
    public var breakValue: Int64 = 0

    /// `Q <firstLocal> <firstValue> <breakLocal|-> <breakValue>` in the partial's text form.
    var line: String {
        "Q\t\(firstLocal)\t\(firstValue)\t\(breakLocal.map(String.init) ?? "-")\t\(breakValue)\n"
    }

    init(firstLocal: Int, firstValue: Int64) {
        self.firstLocal = firstLocal
        self.firstValue = firstValue
    }

    init?(_ fields: [Substring]) {
        guard fields.count == 5, let local = Int(fields[1]), let value = Int64(fields[2]), let found = Int64(fields[4]) else { return nil }
        firstLocal = local
        firstValue = value
        breakLocal = fields[3] == "-" ? nil : Int(fields[3])
        breakValue = found
    }

    /// Notes one decoded message's value (-1 when blank or not digits).
    mutating func note(local: Int, value: Int64) {
        guard breakLocal == nil, value != firstValue + Int64(local - firstLocal) else { return }
        breakLocal = local
        breakValue = value
    }

    /// The file's check from its partitions in order: (partition's first record number, sequence).
    static func check(name: String, _ partitions: [(recordBase: Int, sequence: MessageSequence?)]) -> StructuredReport.Check {
        var check = StructuredReport.Check(name: name, scope: "file", group: nil, groupRecord: nil, record: 0,
                                           expected: "1, 2, 3, ... (the record number)", found: "in sequence", passed: true, skipped: false)
        for (base, sequence) in partitions {
            guard let sequence else { continue }
            var at: (local: Int, value: Int64)?
            if sequence.firstValue != Int64(base + sequence.firstLocal) {
                at = (sequence.firstLocal, sequence.firstValue)
            } else if let local = sequence.breakLocal {
                at = (local, sequence.breakValue)
            }
            guard let at else { continue }
            let expected = Int64(base + at.local)
            check.passed = false
            check.record = base + at.local
            check.expected = String(expected)
            check.found = at.value < 0 ? "blank (record \(base + at.local))"
                : "\(at.value) at record \(base + at.local): it \(at.value < expected ? "went back" : "skipped")"
            return check
        }
        return check
    }
}
