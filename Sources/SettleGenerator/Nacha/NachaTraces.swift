import SettleEngine

/// The trace numbers (80-94) of a generated NACHA file's entries, unique by construction: an entry's
/// is its batch's ODFI routing (80-87) and that ODFI's next 7-digit sequence (88-94); an ADV entry's
/// is the ACH operator's routing (80-87, never an ODFI's), a Julian day (88-90) and a 4-digit
/// sequence (91-94), the day stepping back from the file date each time the sequences run out.
struct NachaTraces {
    /// Trace sequences (88-94) have 7 digits.
    static let maxSequence: UInt64 = 9_999_999
    /// ADV trace sequences (91-94) have 4 digits; past them the Julian day (88-90) steps back a day.
    static let advSequencesPerDay = 9_999

    private let routing: NachaRouting
    private let fileDay: Int
    /// The last sequence used, per ODFI (index into `routing.originators`).
    private var sequences: [UInt64]
    private var advEntries = 0

    init(routing: NachaRouting, fileDay: Int) {
        self.routing = routing
        self.fileDay = fileDay
        sequences = [UInt64](repeating: 0, count: routing.originators.count)
    }

    /// The ODFI of a batch of `entries`: the one `drawn`, or the next whose sequences have room.
    func odfi(drawn: Int, entries: Int) -> Int {
        var odfi = drawn
        while sequences[odfi] + UInt64(entries) > Self.maxSequence { odfi = (odfi + 1) % sequences.count }
        return odfi
    }

    /// The next trace of an entry of ODFI `odfi`.
    mutating func next(odfi: Int) -> NachaRecords.Trace {
        sequences[odfi] += 1
        return NachaRecords.Trace(routing: routing.originators[odfi], sequence: sequences[odfi])
    }

    /// The next trace of an ADV entry, with its Julian day and 4-digit sequence.
    mutating func nextADV() -> (trace: NachaRecords.Trace, julianDay: Int, sequence: Int) {
        let daysBack = advEntries / Self.advSequencesPerDay
        let sequence = advEntries % Self.advSequencesPerDay + 1
        advEntries += 1
        let julianDay = CalendarDate(daysSinceEpoch: fileDay - daysBack).dayOfYear
        // 88-94 as one number: the day's 3 digits, then the sequence's 4.
        let trace = NachaRecords.Trace(routing: routing.operatorRouting, sequence: UInt64(julianDay * 10_000 + sequence))
        return (trace, julianDay, sequence)
    }
}
