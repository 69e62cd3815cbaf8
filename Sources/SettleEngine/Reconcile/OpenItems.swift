/// `--open-items DIR --as-of YYYY-MM-DD [--open-days N] [--restart-open-items]`.
public struct OpenItemsOptions: Sendable, Equatable {
    public var directory: String
    /// `--as-of`, in days since 1970-01-01.
    public var asOf: Int
    /// An item older than this many days that is still unmatched expires into a mismatch.
    public var openDays: Int
    public var restart: Bool
    /// `settle watch`: the batch this run is (its name), so that batches of one `--as-of` carry
    /// from one to the next, and a batch run again starts from the generation before its own.
    public var batch: String?

    public init(directory: String, asOf: Int, openDays: Int = 3, restart: Bool = false, batch: String? = nil) {
        self.directory = directory
        self.asOf = asOf
        self.openDays = openDays
        self.restart = restart
        self.batch = batch
    }
}

/// The open items a run carries in from its store's base generation, as extra occurrences of their
/// side: written as one run of occurrences by reference (`carried.run`, a synthetic partition
/// numbered after the plan's) and added to every bucket's join inputs, so they go through the same
/// reduce as the night's records. Each item keeps the file and record number (or line) where it
/// was first read, and its `first_seen`: the item's "file" in mismatch and match rows is an index
/// past the plan's files into `sources`.
public struct CarriedItems: Sendable {
    public struct Item: Sendable {
        var reference: MerchantKey
        var occurrence: Occurrence
        var source: Int
        var number: Int
    }

    public let options: OpenItemsOptions
    /// The partition index of carried occurrences (the plan's partition count).
    public let partition: Int
    /// The plan's file count: a side whose file index is at least this is a carried item.
    public let planFiles: Int
    /// Distinct (path, first_seen) of the items, indexed by `file - planFiles`.
    public let sources: [(path: String, firstSeen: Int)]
    public let items: [Item]
    /// HEAD's generation after this run's (the store's `base` decision).
    public let previousAfter: (name: String?, asOf: Int?)
    /// What the joins depend on (the base generation's SHA-256, `--as-of`, `--open-days`), recorded
    /// in bucket markers so a resumed job never reuses a join made with other carried items.
    public let digest: String

    /// Loads the base generation from the store (none for a new store or `--restart-open-items`).
    public static func load(_ options: OpenItemsOptions, partition: Int, planFiles: Int) throws -> CarriedItems {
        let store = OpenItemStore(directory: options.directory)
        let (generation, previousAfter) = try store.base(asOf: options.asOf, restart: options.restart, batch: options.batch)
        var sources: [(path: String, firstSeen: Int)] = []
        var sourceIndex: [String: Int] = [:]
        var items: [Item] = []
        var digest = "\(options.asOf)/\(options.openDays)/"
        if let generation {
            let path = options.directory + "/" + generation
            let text: String
            do {
                text = try FileIO.readText(path: path)
            } catch {
                throw SettleError(.unreadableInput, "cannot read open-items generation \(path): \(error)")
            }
            digest += SHA256.hash(Array(text.utf8))
            for (index, fields) in OpenItemsCSV.parse(text).enumerated().dropFirst() {
                guard let item = OpenItemsCSV.item(fields) else {
                    throw SettleError(.unreadableInput, "open-items generation \(path), line \(index + 1): not an open item row")
                }
                let key = "\(item.firstSeen)\u{0}\(item.path)"
                let source = sourceIndex[key] ?? sources.count
                if source == sources.count {
                    sources.append((item.path, item.firstSeen))
                    sourceIndex[key] = source
                }
                items.append(Item(reference: item.reference, occurrence: item.occurrence, source: source, number: item.number))
            }
        }
        return CarriedItems(options: options, partition: partition, planFiles: planFiles, sources: sources, items: items,
                            previousAfter: previousAfter, digest: digest)
    }

    /// Whether a side of a row is a carried item, and its age on `--as-of`.
    @inline(__always)
    func age(file: Int) -> Int? {
        file >= planFiles ? options.asOf - sources[file - planFiles].firstSeen : nil
    }

    /// A row's age: the oldest carried side's, nil when both sides are tonight's.
    func age(of row: MismatchRow) -> Int? {
        [row.settled, row.ledger].compactMap { side in side.flatMap { age(file: $0.file) } }.max()
    }

    func firstSeen(file: Int) -> Int { file >= planFiles ? sources[file - planFiles].firstSeen : options.asOf }

    /// Paths for rows: the plan's files, then the carried items' sources.
    func paths(plan: [String]) -> [String] { plan + sources.map(\.path) }

    /// Writes the carried occurrences as one run with `buckets` buckets at `path` (each bucket's
    /// entries sorted by `ReferenceKey`); returns each bucket's slice to join, nil for no items.
    public func writeRun(path: String, buckets: Int) throws -> [MergeInput?] {
        guard !items.isEmpty else { return [MergeInput?](repeating: nil, count: buckets) }
        var entries = items.enumerated().map { index, item in
            (ReferenceKey(reference: item.reference, position: ReferenceKey.position(partition: partition, local: index)), item.occurrence)
        }
        entries.sort { $0.0 < $1.0 }
        var writer = try SpillWriter<ReferenceCodec>(path: path, bucketCount: buckets, encoder: try LZ4FrameEncoder())
        var counts = [Int](repeating: 0, count: buckets)
        do {
            for (key, occurrence) in entries {
                let bucket = ReferenceKey.bucket(hash: key.hash, count: buckets)
                try writer.append(bucket: bucket, key: key, value: occurrence)
                counts[bucket] += 1
            }
        } catch {
            writer.abandon()
            throw error
        }
        _ = try writer.finish()
        return counts.enumerated().map { bucket, count in count > 0 ? MergeInput(path: path, bucket: bucket, entries: count) : nil }
    }

    /// Where a carried occurrence came from: its source (as a file index past the plan's) and number.
    func locate(local: Int) -> (file: Int, number: Int) { (planFiles + items[local].source, items[local].number) }
}

/// Rows of `open_items.csv`, which is also a generation of the store.
enum OpenItemsCSV {
    static let header = "side,arn,merchant_id,currency,direction,amount,first_seen,age_days,file,record_number,ledger_file,ledger_line\n"
    /// A store generation of a run with passes on dates: each row ends in the item's date (or nothing).
    static let datedHeader = String(header.dropLast()) + ",date\n"

    /// Ends a store row with `,YYYY-MM-DD` (`,` for an item without a date) before its line end.
    static func appendDate(_ occurrence: Occurrence, to out: inout [UInt8]) {
        out.removeLast()
        out.append(UInt8(ascii: ","))
        if occurrence.hasDate { out.append(contentsOf: CalendarDay.format(Int(occurrence.date)).utf8) }
        out.append(0x0A)
    }

    static func appendRow(reference: MerchantKey, side: MismatchSide, firstSeen: Int, asOf: Int, paths: [String], to out: inout [UInt8]) {
        let o = side.occurrence
        out.append(contentsOf: (o.isLedger ? "ledger," : "settled,").utf8)
        CSVText.appendField(reference.string, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(o.merchant.string, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendField(CurrencyCode(raw: o.currency).string, to: &out)
        out.append(contentsOf: (o.isCredit ? ",credit," : ",debit,").utf8)
        CSVText.appendInteger(Int(o.amount), to: &out)
        out.append(contentsOf: ("," + CalendarDay.format(firstSeen) + ",").utf8)
        CSVText.appendInteger(asOf - firstSeen, to: &out)
        if o.isLedger { out.append(contentsOf: ",,".utf8) }
        out.append(UInt8(ascii: ","))
        CSVText.appendField(paths[side.file], to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(side.number, to: &out)
        if !o.isLedger { out.append(contentsOf: ",,".utf8) }
        out.append(0x0A)
    }

    /// An item from a row (nil if it is not one).
    static func item(_ f: [String]) -> (reference: MerchantKey, occurrence: Occurrence, firstSeen: Int, path: String, number: Int)? {
        guard f.count == 12 || f.count == 13, f[0] == "settled" || f[0] == "ledger", f[4] == "debit" || f[4] == "credit",
              f[1].utf8.count <= MerchantKey.capacity, f[2].utf8.count <= MerchantKey.capacity, f[3].utf8.count <= 3,
              let amount = Int64(f[5]), amount >= 0, let firstSeen = CalendarDay.parse(f[6]) else { return nil }
        let ledger = f[0] == "ledger"
        guard let number = Int(ledger ? f[11] : f[9]), number > 0 else { return nil }
        let flags = (ledger ? Occurrence.ledger : 0) | (f[4] == "credit" ? Occurrence.credit : 0)
        var date = Occurrence.noDate
        if f.count == 13 && !f[12].isEmpty {
            guard let day = CalendarDay.parse(f[12]) else { return nil }
            date = Int32(day)
        }
        return (MerchantKey(f[1]), Occurrence(merchant: MerchantKey(f[2]), currency: CurrencyCode(f[3]).raw, amount: amount, flags: flags, date: date),
                firstSeen, ledger ? f[10] : f[8], number)
    }

    /// RFC 4180 records of `text` (as `CSVText.appendField` quotes them).
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field: [UInt8] = []
        var quoted = false, atStart = true
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count && bytes[index] == UInt8(ascii: "\"") { field.append(byte); index += 1 } else { quoted = false }
                } else { field.append(byte) }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where atStart: quoted = true
            case UInt8(ascii: ","):
                row.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
                atStart = true
                continue
            case 0x0A:
                row.append(String(decoding: field, as: UTF8.self))
                rows.append(row)
                row = []
                field.removeAll()
                atStart = true
                continue
            default: field.append(byte)
            }
            atStart = false
        }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [String(decoding: field, as: UTF8.self)]) }
        return rows
    }
}

extension CarriedItems {
    /// The passes as the joins run them with carried items: the same passes, fingerprinted with
    /// the carried items' digest (bucket markers record it).
    static func joinMatch(_ match: MatchSpec?, _ carried: CarriedItems) -> MatchSpec {
        var spec = match ?? .default
        spec.fingerprint += "|open:" + carried.digest
        return spec
    }
}
