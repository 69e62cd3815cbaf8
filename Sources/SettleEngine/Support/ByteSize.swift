/// Parses sizes with binary units: `64M`, `64MiB` and `64MB` all mean 64 MiB.
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces.uppercased()
        let digits = trimmed.prefix { $0.isNumber }
        guard let value = Int(digits), !digits.isEmpty else { return nil }
        var unit = String(trimmed.dropFirst(digits.count)).trimmingSpaces
        if unit.hasSuffix("IB") { unit.removeLast(2) } else if unit.hasSuffix("B") { unit.removeLast() }
        let shift: Int
        switch unit {
        case "": shift = 0
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: return nil
        }
        let result = value.multipliedReportingOverflow(by: 1 << shift)
        return result.overflow ? nil : result.partialValue
    }

    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024 && index < units.count - 1 { value /= 1024; index += 1 }
        if index == 0 { return "\(bytes) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[index])"
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return String(view)
    }
}
