/// `--open-items DIR`: the items a night left open (unmatched for lack of a counterpart), carried
/// to the next run. The store is a directory Settle owns:
///
///     DIR/HEAD                                  which generations are current and previous
///     DIR/open-YYYY-MM-DD-RUNID.csv             one generation: open_items.csv as that run wrote it
///
/// Generations are written once (temporary name, fsync, rename) and never changed; HEAD is
/// replaced atomically after its generation is durable, just before the run's summary.json, so a
/// killed run leaves the old HEAD or the new one, never half of one. HEAD keeps the generation
/// before the latest, so a run with the latest `--as-of` again starts from that earlier one.
public struct OpenItemStore: Sendable {
    public let directory: String

    /// What HEAD says: file names and `--as-of` days of the current and previous generations.
    public struct Head: Sendable, Equatable {
        public var current: String?
        public var currentAsOf: Int?
        public var previous: String?
        public var previousAsOf: Int?
    }

    public init(directory: String) { self.directory = directory }

    var headPath: String { directory + "/HEAD" }

    /// HEAD, or an empty head when the store is new; throws naming the file when it is unreadable.
    public func head() throws -> Head {
        guard FileIO.exists(headPath) else { return Head() }
        let text: String
        do {
            text = try FileIO.readSmallText(path: headPath)
        } catch {
            throw SettleError(.unreadableInput, "cannot read open-items store \(headPath): \(error)")
        }
        var head = Head()
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        guard lines.first == ["settle-open-items", "1"] else {
            throw SettleError(.unreadableInput, "open-items store \(headPath): not a Settle open-items HEAD (first line must be 'settle-open-items 1')")
        }
        for fields in lines.dropFirst() where fields.count == 3 {
            let asOf = CalendarDay.parse(fields[2])
            guard fields[1] == "-" || (isGenerationName(fields[1]) && asOf != nil) else {
                throw SettleError(.unreadableInput, "open-items store \(headPath): bad line '\(fields.joined(separator: " "))'")
            }
            if fields[0] == "current" { (head.current, head.currentAsOf) = (fields[1] == "-" ? nil : fields[1], asOf) }
            if fields[0] == "previous" { (head.previous, head.previousAsOf) = (fields[1] == "-" ? nil : fields[1], asOf) }
        }
        return head
    }

    func isGenerationName(_ name: String) -> Bool {
        name.hasPrefix("open-") && name.hasSuffix(".csv") && !name.contains("/") && MarkerIO.isPlainName(name)
    }

    /// Which generation a run on `asOf` starts from, and the HEAD it will publish: a later night
    /// starts from the current one; the same night again from the one before it; an earlier night
    /// is refused unless `restart` (then nothing is carried).
    /// A `settle watch` batch (`batch`) on the latest night continues from the current generation,
    /// unless that generation is its own (the batch run again).
    public func base(asOf: Int, restart: Bool, batch: String? = nil) throws -> (generation: String?, previousAfter: (name: String?, asOf: Int?)) {
        let head = try head()
        if restart { return (nil, (nil, nil)) }
        guard let latest = head.currentAsOf else { return (nil, (nil, nil)) }
        if asOf > latest { return (head.current, (head.current, head.currentAsOf)) }
        if let batch, asOf == latest, head.current != Self.generationName(asOf: asOf, tag: batch) {
            return (head.current, (head.current, head.currentAsOf))
        }
        if asOf == latest { return (head.previous, (head.previous, head.previousAsOf)) }
        throw SettleError(.usage, "--as-of \(CalendarDay.format(asOf)) is earlier than the open-items store's latest night \(CalendarDay.format(latest)) (\(directory)): give a later --as-of, or --restart-open-items to start the store again")
    }

    /// Writes `items` as a new generation (durable under its final name; HEAD unchanged).
    /// A generation's name: its night and the run's id (or, from `settle watch`, the batch's name).
    static func generationName(asOf: Int, tag: String) -> String { "open-\(CalendarDay.format(asOf))-\(tag.prefix(16)).csv" }

    func writeGeneration(_ items: [UInt8], asOf: Int, runID: String) throws -> String {
        try FileIO.makeDirectories(directory, mode: 0o750)
        let name = Self.generationName(asOf: asOf, tag: runID)
        _ = try AtomicFile.write(items, to: directory + "/" + name, mode: 0o640)
        return name
    }

    /// Points HEAD at `generation` (and `previous`), then removes the generations HEAD no longer names.
    func publishHead(generation: String, asOf: Int, previous: (name: String?, asOf: Int?)) throws {
        var text = "settle-open-items 1\ncurrent \(generation) \(CalendarDay.format(asOf))\n"
        text += "previous \(previous.name ?? "-") \(previous.asOf.map(CalendarDay.format) ?? "-")\n"
        _ = try AtomicFile.write(Array(text.utf8), to: headPath, mode: 0o640)
        for name in FileIO.listDirectory(directory) where isGenerationName(name) && name != generation && name != previous.name {
            FileIO.unlink(directory + "/" + name)
        }
    }
}

/// A calendar day as days since 1970-01-01 (proleptic Gregorian), read from and written as
/// `YYYY-MM-DD`.
public enum CalendarDay {
    public static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        return days(year: year, month: month, day: day)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days from the civil date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func format(_ days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }
}
