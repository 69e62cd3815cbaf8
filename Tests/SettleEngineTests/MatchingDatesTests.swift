import Testing
@testable import SettleEngine

@Suite("Matching on dates: date formats, windows, the codecs and the ledger's date column")
struct MatchingDatesTests {
    static func day(_ text: String) -> Int32 { Int32(CalendarDay.parse(text)!) }

    @Test("formats read real dates from raw bytes", arguments: [
        ("%Y-%m-%d", "2024-02-29", "2024-02-29"), ("%Y%m%d", "20240107", "2024-01-07"), ("%d/%m/%Y", "07/01/2024", "2024-01-07"),
        ("%m/%d/%Y", "01/07/2024", "2024-01-07"), ("%d.%m.%Y", "31.12.1999", "1999-12-31"), ("%y%m%d", "240107", "2024-01-07"),
    ])
    func reads(format: String, text: String, iso: String) throws {
        let compiled = try DateFormat(format)
        #expect(compiled.days(text) == Self.day(iso))
        #expect(compiled.width == text.utf8.count)
    }

    @Test("impossible or malformed dates are nil", arguments: [
        ("%Y-%m-%d", "2023-02-29"), ("%Y-%m-%d", "2024-13-01"), ("%Y-%m-%d", "2024-00-10"), ("%Y-%m-%d", "2024-01-32"),
        ("%Y-%m-%d", "2024/01/07"), ("%Y-%m-%d", "2024-1-7"), ("%Y%m%d", "2024010A"), ("%d/%m/%Y", "31/04/2024"), ("%Y%m%d", "00000101"),
    ])
    func rejects(format: String, text: String) throws {
        #expect(try DateFormat(format).days(text) == nil)
    }

    @Test("a format needs a year, a month and a day, once each")
    func formats() {
        for bad in ["%Y-%m", "%Y-%m-%d-%d", "%Q%m%d", "%m%d"] {
            #expect(throws: SettleError.self) { try DateFormat(bad) }
        }
        #expect(DateFormat.ofLayoutField(length: 8) == .compact && DateFormat.ofLayoutField(length: 6) == .short)
        #expect(DateFormat.ofLayoutField(length: 10) == nil)
    }

    @Test("the window: within N days either way, both dates needed; a date key: the same day")
    func window() {
        var rule = PairRule(merchant: true, currency: true, direction: true, toleranceMinor: 0, toleranceBasisPoints: 0, dateWindowDays: 2)
        func occurrence(_ date: String?, ledger: Bool = false) -> Occurrence {
            Occurrence(merchant: MerchantKey("M1"), currency: CurrencyCode("EUR").raw, amount: 100,
                       flags: ledger ? Occurrence.ledger : 0, date: date.map(Self.day) ?? Occurrence.noDate)
        }
        let settled = occurrence("2024-03-01")
        #expect(rule.pairs(settled, occurrence("2024-03-03", ledger: true)))
        #expect(rule.pairs(settled, occurrence("2024-02-28", ledger: true)))
        #expect(!rule.pairs(settled, occurrence("2024-03-04", ledger: true)))
        #expect(!rule.pairs(settled, occurrence(nil, ledger: true)))
        rule.dateWindowDays = -1
        rule.date = true
        #expect(rule.pairs(settled, occurrence("2024-03-01", ledger: true)) && !rule.pairs(settled, occurrence("2024-03-02", ledger: true)))
        rule.date = false
        #expect(rule.pairs(settled, occurrence(nil, ledger: true)), "without dates in the rule, dates are not looked at")
    }

    @Test("the match file: date keys and windows parse; a window with a date key, or on one_to_many, is refused")
    func parse() throws {
        let spec = try MatchSpec.parse(text: """
            passes:
              - name: daily_deposit
                kind: one_to_many
                on: [merchant, currency, date]
              - name: no_reference
                on: [merchant, currency, direction, amount]
                date_window_days: 2
            """, source: "m.yaml")
        #expect(spec.needsDate && spec.passes[0].rule.date && spec.passes[1].rule.dateWindowDays == 2)
        #expect(!MatchSpec.default.needsDate)
        #expect(throws: SettleError.self) { try MatchSpec.parse(text: "passes:\n  - name: a\n    on: [merchant, date]\n    date_window_days: 1\n", source: "m") }
        #expect(throws: SettleError.self) {
            try MatchSpec.parse(text: "passes:\n  - name: a\n    kind: one_to_many\n    on: [merchant]\n    date_window_days: 1\n", source: "m")
        }
        do {
            try spec.check(ledgerHasReference: false, ledgerHasDate: false)
            Issue.record("a date pass over a ledger without a date column was accepted")
        } catch let error as SettleError {
            #expect(error.message.hasPrefix("match pass 'daily_deposit' matches on date, but the ledger has no date column"))
        }
    }

    @Test("dated occurrences and mismatch rows survive their codecs; undated ones keep their old bytes")
    func codecs() throws {
        let dated = Occurrence(merchant: MerchantKey("M1"), currency: CurrencyCode("EUR").raw, amount: 4_242, flags: Occurrence.credit,
                               date: Self.day("2024-01-07"))
        var undated = dated
        undated.date = Occurrence.noDate
        let key = ReferenceKey(reference: MerchantKey("74000000000000000000001"), position: 77)
        var bytes = [UInt8](repeating: 0, count: ReferenceCodec.maxSize)
        var sizes: [Int] = []
        for value in [dated, undated, Occurrence(merchant: MerchantKey("M1"), currency: 0, amount: 1, flags: 0, date: -40_000)] {
            let size = bytes.withUnsafeMutableBytes { ReferenceCodec.store(key, value, to: $0.baseAddress!) }
            let back = bytes.withUnsafeBytes { ReferenceCodec.load(from: $0.baseAddress!, available: size) }
            #expect(back?.value == value && back?.size == size)
            sizes.append(size)
        }
        #expect(sizes[0] == sizes[1] + 3, "a day of this century costs 3 bytes, an undated occurrence none")
        let row = MismatchRow(settled: MismatchSide(occurrence: dated, file: 0, number: 3),
                              ledger: MismatchSide(occurrence: undated, file: 1, number: 9))
        var rowBytes = [UInt8](repeating: 0, count: MismatchCodec.maxSize)
        let mismatchKey = MismatchKey(reference: key.reference, position: 5)
        let size = rowBytes.withUnsafeMutableBytes { MismatchCodec.store(mismatchKey, row, to: $0.baseAddress!) }
        let back = rowBytes.withUnsafeBytes { MismatchCodec.load(from: $0.baseAddress!, available: size) }
        #expect(back?.value == row && back?.key == mismatchKey)
    }

    @Test("pass keys on dates: same day groups, other days do not; without a date key the hash is unchanged")
    func passKeys() throws {
        let spec = try MatchSpec.parse(text: "passes:\n  - name: d\n    kind: one_to_many\n    on: [merchant, currency, date]\n", source: "m")
        let plain = try MatchSpec.parse(text: "passes:\n  - name: p\n    on: [merchant, currency]\n", source: "m")
        func occurrence(_ date: String) -> Occurrence {
            Occurrence(merchant: MerchantKey("DEP01"), currency: CurrencyCode("USD").raw, amount: 5, flags: 0, date: Self.day(date))
        }
        let a = PassKey(occurrence("2024-01-07"), position: 1, pass: spec.passes[0])
        let b = PassKey(occurrence("2024-01-07"), position: 2, pass: spec.passes[0])
        let c = PassKey(occurrence("2024-01-08"), position: 3, pass: spec.passes[0])
        #expect(a.sameGroup(b) && !a.sameGroup(c))
        var undated = occurrence("2024-01-07")
        undated.date = Occurrence.noDate
        #expect(PassKey(occurrence("2024-01-07"), position: 1, pass: plain.passes[0]).hash == PassKey(undated, position: 1, pass: plain.passes[0]).hash)
        var bytes = [UInt8](repeating: 0, count: PassEntryCodec.maxSize)
        let value = (MismatchKey(reference: MerchantKey(), position: 3), MismatchRow(settled: MismatchSide(occurrence: occurrence("2024-01-07"), file: 0, number: 2), ledger: nil))
        let size = bytes.withUnsafeMutableBytes { PassEntryCodec.store(c, value, to: $0.baseAddress!) }
        let back = bytes.withUnsafeBytes { PassEntryCodec.load(from: $0.baseAddress!, available: size) }
        #expect(back?.key == c && back?.value.1 == value.1)
    }

    @Test("the ledger's date column: read in its format, a bad or blank date is a reject naming the column")
    func ledgerDates() throws {
        let spec = try LedgerSpec.parse(text: "columns: {date: booked}\ndate_format: \"%d/%m/%Y\"\n", source: "s.yaml")
        #expect(spec.columns[LedgerSpec.Role.date.rawValue] == "booked" && spec.dateFormat.text == "%d/%m/%Y")
        #expect(throws: SettleError.self) { try LedgerSpec.parse(text: "date_format: \"%Y%m%d\"\n", source: "s.yaml") }
        #expect(throws: SettleError.self) { try LedgerSpec.parse(text: "columns: {date: d}\ndate_format: \"%Y%m\"\n", source: "s.yaml") }
        #expect(LedgerSpec().columns.count == LedgerSpec.Role.allCases.count && LedgerSpec().columns[LedgerSpec.Role.date.rawValue] == nil)
        let decoder = LedgerValueDecoder(spec: spec, referenceWidth: 23, readsDates: true)
        func decode(_ date: String) -> Result<LedgerValueDecoder.Value, MapWorker.LedgerFailure> {
            let row = "74000000000000000000001,M1,EUR,100,D,\(date)"
            let bytes = Array(row.utf8)
            var fields: [LedgerCSV.Field] = []
            var start = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: ",") {
                var field = LedgerCSV.Field()
                field.start = start
                field.end = index
                fields.append(field)
                start = index + 1
            }
            return bytes.withUnsafeBytes { buffer in fields.withUnsafeBufferPointer { decoder.decode(buffer.baseAddress!, fields: $0) } }
        }
        guard case .success(let value) = decode("07/01/2024") else { Issue.record("a good date was refused"); return }
        #expect(value.date == Self.day("2024-01-07"))
        guard case .failure(let bad) = decode("2024-01-07") else { Issue.record("a date in another format was read"); return }
        #expect(bad.reason == .badDate && bad.role == LedgerSpec.Role.date.rawValue)
        guard case .failure(let blank) = decode("") else { Issue.record("a blank date was read"); return }
        #expect(blank.reason == .blankField)
    }
}

@Suite("Open items keep their dates in the store")
struct OpenItemDatesTests {
    @Test("a dated store row reads back with its date; a row without one, or of an undated store, has none")
    func storeRows() throws {
        let side = MismatchSide(occurrence: Occurrence(merchant: MerchantKey("M1"), currency: CurrencyCode("EUR").raw, amount: 12, flags: Occurrence.ledger,
                                                       date: Int32(CalendarDay.parse("2024-01-09")!)), file: 0, number: 4)
        var row: [UInt8] = []
        OpenItemsCSV.appendRow(reference: MerchantKey(), side: side, firstSeen: CalendarDay.parse("2024-01-10")!, asOf: CalendarDay.parse("2024-01-11")!,
                               paths: ["l.csv"], to: &row)
        let plain = String(decoding: row, as: UTF8.self)
        OpenItemsCSV.appendDate(side.occurrence, to: &row)
        let dated = String(decoding: row, as: UTF8.self)
        #expect(dated == String(plain.dropLast()) + ",2024-01-09\n")
        let back = try #require(OpenItemsCSV.item(OpenItemsCSV.parse(dated)[0]))
        #expect(back.occurrence == side.occurrence && back.number == 4 && back.path == "l.csv")
        let undated = try #require(OpenItemsCSV.item(OpenItemsCSV.parse(plain)[0]))
        #expect(!undated.occurrence.hasDate)
        #expect(OpenItemsCSV.item(OpenItemsCSV.parse(String(plain.dropLast()) + ",not-a-date\n")[0]) == nil)
        #expect(OpenItemsCSV.datedHeader.hasSuffix("ledger_line,date\n"))
    }
}
