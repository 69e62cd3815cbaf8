import SettleEngine

/// Words for the text fields of a generated NACHA file: company names (the merchant key's second
/// part, so they carry what real names carry: mixed case, `&`, `'`, `.`, `-`, commas that make
/// `totals.csv` quote the key, and names cut at 16 bytes) and the receivers' names of the entries.
enum NachaNames {
    private static let companyWords = [
        "ACME", "APEX", "BLUE RIVER", "CEDAR", "SUMMIT", "NORTHWIND", "PIONEER", "HARBOR", "MAPLE", "GRANITE",
        "Bob's", "Lakeside", "Sunrise", "Redwood", "Riverbend", "Golden Gate", "O'NEIL", "ST. JAMES", "TRI-STATE",
        "EVERGREEN", "Prairie", "Keystone", "Liberty", "Heritage", "Coastal", "Union", "Frontier", "Oak & Ash",
        "Silver Lake", "Midwest", "PACIFIC", "Atlas", "Beacon", "Canyon", "Delta", "Echo", "Falcon", "Orchard",
    ]
    private static let companyTrades = [
        "PLUMBING", "DENTAL", "PAYROLL", "FOODS", "BAKERY", "Manufacturing", "ROOFING", "AUTO", "CLINIC",
        "LOGISTICS", "INSURANCE", "Realty", "UTILITIES", "GYM", "SCHOOL", "FARMS", "& SONS", "TAXI", "HVAC",
        "Hardware", "PHARMACY", "CAFE", "MOTORS", "TELECOM",
    ]
    private static let companyForms = ["", "", "", " INC", " LLC", " CO", ", INC", ", LLC", " LTD", " CORP"]

    /// A company name, 16 bytes, left-justified and padded (longer names are cut, as banks do).
    static func companyName(_ random: inout GeneratorRandom) -> [UInt8] {
        let word = companyWords[random.index(companyWords.count)]
        let trade = companyTrades[random.index(companyTrades.count)]
        let form = companyForms[random.index(companyForms.count)]
        return padded(Array((word + " " + trade + form).utf8), length: NachaCompanies.nameLength)
    }

    /// `name` with a number at its end, replacing what it must so the whole still fits `length`.
    static func numbered(_ name: [UInt8], _ number: Int, length: Int) -> [UInt8] {
        let suffix = Array(" \(number)".utf8)
        let kept = NachaCompanies.trimmed(name).prefix(length - suffix.count)
        // A cut can end on a blank: trim it, or the key would change under trimming.
        return padded(NachaCompanies.trimmed(Array(kept)) + suffix, length: length)
    }

    private static let firstNames = [
        "JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID", "ELIZABETH",
        "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS", "SARAH", "Wade", "Adam",
        "CHARLES", "KAREN", "CHRISTOPHER", "LISA", "DANIEL", "NANCY", "MATTHEW", "BETTY", "ANTHONY", "MARGARET",
        "MARK", "SANDRA",
    ]
    private static let lastNames = [
        "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ",
        "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN",
        "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON",
        "O'BRIEN", "Arnold",
    ]

    /// Every receiver name, 22 bytes each, back to back: an entry copies one of them.
    static let individualNames: [UInt8] = {
        var bytes: [UInt8] = []
        for first in firstNames {
            for last in lastNames {
                bytes += padded(Array((first + " " + last).utf8), length: 22)
            }
        }
        return bytes
    }()
    static var individualNameCount: Int { firstNames.count * lastNames.count }

    /// Left-justified in `length` bytes, blank-padded or cut.
    static func padded(_ bytes: [UInt8], length: Int) -> [UInt8] {
        var out = Array(bytes.prefix(length))
        while out.count < length { out.append(0x20) }
        return out
    }
}
