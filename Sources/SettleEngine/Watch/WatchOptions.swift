/// Everything that defines a `settle watch` daemon: where files arrive, where batches go, how they
/// are cut, and the job options every batch runs with.
package struct WatchOptions: Sendable {
    /// The inbox as given: each batch's `summary.json` names a file as `inbox/NAME`.
    package var inbox: String
    package var root: String
    /// Layout of a file no `inputLayouts` pattern matches; nil: such a file goes to failed/.
    package var layout: String?
    /// `--input-layout GLOB:LAYOUT`, first match wins.
    package var inputLayouts: [(glob: String, layout: String)] = []
    /// The job options of every batch: resources, ledger files and spec, strictness. Its inputs are
    /// the ledger inputs only (each batch adds its files); its out and work directories are set per batch.
    package var job: AggregateOptions
    package var batchFiles = 16
    package var batchBytes: Int?
    package var batchWaitSeconds = 30.0
    package var settleSeconds = 2.0
    /// `--ready-suffix`: a file is ready when `NAME + readySuffix` exists.
    package var readySuffix: String?
    /// `--once`: process what is ready now and return.
    package var once = false
    /// `--expect NAME_GLOB@HH:MM` (local time).
    package var expectations: [ExpectedFile] = []
    /// `--open-items` without `--as-of`: each batch's `--as-of` is its UTC date when it first
    /// starts (kept in its manifest, so a resumed batch keeps it).
    package var openItemsAsOfToday = false

    package init(inbox: String, root: String, layout: String?, job: AggregateOptions) {
        self.inbox = inbox
        self.root = root
        self.layout = layout
        self.job = job
    }

    /// Between two looks at the inbox: a quarter of the shortest wait, within 20 ms ... 1 s.
    package var pollSeconds: Double {
        min(1.0, max(0.02, min(settleSeconds, batchWaitSeconds) / 4))
    }

    /// The layout of an inbox file: the first matching `--input-layout`, else `--layout`.
    package func layout(for name: String) -> String? {
        inputLayouts.first { Syscalls.globMatches($0.glob, name) }?.layout ?? layout
    }

    package func batchDirectory(_ number: Int) -> String { root + "/batches/" + Self.batchName(number) }
    package func processedDirectory(_ number: Int) -> String { root + "/processed/" + Self.batchName(number) }

    /// NNNNNN: six digits (more past 999999), so names sort as numbers do.
    package static func batchName(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    package func validate() throws {
        if batchFiles < 1 { throw SettleError(.usage, "--batch-files must be at least 1") }
        if let batchBytes, batchBytes < 1 { throw SettleError(.usage, "--batch-bytes must be at least 1 byte") }
        if !(batchWaitSeconds >= 0) || !(settleSeconds >= 0) { throw SettleError(.usage, "--batch-wait and --settle-time must not be negative") }
        if let readySuffix, readySuffix.isEmpty || readySuffix.contains("/") {
            throw SettleError(.usage, "--ready-suffix needs a suffix such as .done")
        }
        if layout == nil && inputLayouts.isEmpty { throw SettleError(.usage, "give --layout L or --input-layout GLOB:LAYOUT") }
        try job.validate(requireInputs: false)
    }
}

/// `--expect NAME_GLOB@HH:MM`: a file matching the glob should have arrived by that local time each day.
package struct ExpectedFile: Sendable, Equatable {
    package var glob: String
    package var minuteOfDay: Int

    package init(glob: String, minuteOfDay: Int) {
        self.glob = glob
        self.minuteOfDay = minuteOfDay
    }

    /// Parses `GLOB@HH:MM`; nil when it is not of that form.
    package static func parse(_ text: String) -> ExpectedFile? {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex else { return nil }
        let clock = text[text.index(after: at)...].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]), let minute = Int(clock[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return ExpectedFile(glob: String(text[..<at]), minuteOfDay: hour * 60 + minute)
    }

    package var clockText: String {
        let hour = minuteOfDay / 60, minute = minuteOfDay % 60
        return "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }
}
