import SettleEngine

/// A proleptic Gregorian date, for the dates the generator writes (file date, transaction dates) and
/// the impossible dates it writes on purpose. Kept apart from the engine's date checks so that each can
/// catch the other's mistakes.
struct CalendarDate: Equatable {
    var year: Int
    var month: Int
    var day: Int

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    init(daysSinceEpoch days: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (`days_from_civil`).
    var daysSinceEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 1-based day within the year.
    var dayOfYear: Int {
        daysSinceEpoch - CalendarDate(year: year, month: 1, day: 1).daysSinceEpoch + 1
    }

    /// `YYYYMMDD` as eight ASCII digits.
    var digits: [UInt8] {
        var bytes = [UInt8](repeating: 0x30, count: 8)
        DecimalDigits.write(UInt64(year), into: &bytes, at: 0, width: 4)
        DecimalDigits.write(UInt64(month), into: &bytes, at: 4, width: 2)
        DecimalDigits.write(UInt64(day), into: &bytes, at: 6, width: 2)
        return bytes
    }

    /// `YYYYMMDD` for a year, month and day that need not form a real date (for `bad_date` faults).
    static func digits(year: Int, month: Int, day: Int) -> [UInt8] {
        CalendarDate(year: year, month: month, day: day).digits
    }
}
