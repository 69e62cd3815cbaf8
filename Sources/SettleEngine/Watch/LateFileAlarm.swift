/// `--expect NAME_GLOB@HH:MM`: each local day, once the clock passes HH:MM, an expectation no
/// arrival has met that day is late: one warning per day and the `settle_watch_late_files` gauge.
/// An arrival is a name seen in the inbox or a file the registry recorded that day.
struct LateFileAlarm {
    private let expectations: [ExpectedFile]
    /// Local day on which each expectation was last met, and on which it was last reported late.
    private var metOn: [Int?]
    private var warnedOn: [Int?]

    init(_ expectations: [ExpectedFile]) {
        self.expectations = expectations
        metOn = Array(repeating: nil, count: expectations.count)
        warnedOn = Array(repeating: nil, count: expectations.count)
    }

    /// Notes arrivals (names) on `day`.
    mutating func arrived(_ names: [String], day: Int) {
        for (index, expectation) in expectations.enumerated() where metOn[index] != day {
            if names.contains(where: { Syscalls.globMatches(expectation.glob, $0) }) { metOn[index] = day }
        }
    }

    /// The expectations late now, and those to warn about (first time today).
    mutating func check(day: Int, minuteOfDay: Int) -> (late: [ExpectedFile], newlyLate: [ExpectedFile]) {
        var late: [ExpectedFile] = []
        var newlyLate: [ExpectedFile] = []
        for (index, expectation) in expectations.enumerated() where minuteOfDay >= expectation.minuteOfDay && metOn[index] != day {
            late.append(expectation)
            if warnedOn[index] != day {
                warnedOn[index] = day
                newlyLate.append(expectation)
            }
        }
        return (late, newlyLate)
    }
}
