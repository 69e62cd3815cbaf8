import SystemPackage

/// File names as Settle holds them: a `String` that keeps every byte of a POSIX path, UTF-8 or not.
///
/// A path is bytes. Valid UTF-8 is kept as its characters; each byte of a sequence that is not valid
/// UTF-8 becomes the private-use scalar U+10FF00 + byte (the bytes 0x80-0xFF: U+10FF80-U+10FFFF, in
/// the last plane's private use area). Those scalars' own UTF-8 form is escaped the same way, so the
/// mapping is one to one: `bytes(decode(b)) == b` for every `b`. Every system call that takes a path
/// goes through `withCString` or `FilePath(settlePath:)`; messages and files show `display`, where
/// each such byte is `\xNN`.
package enum PathText {
    static let escapeBase: UInt32 = 0x10FF00
    static let firstEscape: UInt32 = 0x10FF80

    /// A path's bytes (a NUL-terminated C string, as in `argv` or `readdir`) as a `String`.
    package static func decode(cString: UnsafePointer<CChar>) -> String {
        let count = strlenOf(cString)
        return cString.withMemoryRebound(to: UInt8.self, capacity: count) {
            decode(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// Bytes as a `String`, invalid UTF-8 kept as escape scalars.
    package static func decode(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            if let (scalar, length) = scalar(bytes, at: index), scalar.value < firstEscape {
                scalars.append(scalar)
                index += length
            } else {
                scalars.append(Unicode.Scalar(escapeBase + UInt32(bytes[index]))!)
                index += 1
            }
        }
        return String(scalars)
    }

    /// The bytes a `decode`d path stands for.
    package static func bytes(_ path: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if scalar.value >= firstEscape {
                out.append(UInt8(truncatingIfNeeded: scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Calls `body` with the path's bytes as a C string.
    package static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var bytes = Self.bytes(path)
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// The path for people: each byte that is not UTF-8 as `\xNN` (a backslash itself stays as is);
    /// `inJSONString`: as `\\xNN`, for text that is inside a JSON string literal.
    package static func display(_ text: String, inJSONString: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= firstEscape }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value >= firstEscape {
                let byte = UInt8(truncatingIfNeeded: scalar.value - escapeBase)
                let hex = Array("0123456789ABCDEF")
                out += (inJSONString ? "\\\\x" : "\\x") + "\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The command line (without the program name), each argument decoded as a path.
    package static func commandLineArguments() -> [String] {
        (1..<Int(CommandLine.argc)).map { index in
            CommandLine.unsafeArgv[index].map { decode(cString: $0) } ?? ""
        }
    }

    /// One UTF-8 sequence at `index`: its scalar and length, or nil when invalid (RFC 3629: no
    /// overlong forms, no surrogates, nothing past U+10FFFF).
    static func scalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        // The sequence's length, the lead byte's value bits and the second byte's range.
        let form: (length: Int, value: UInt32, low: UInt8, high: UInt8)
        switch lead {
        case 0xC2...0xDF: form = (2, UInt32(lead & 0x1F), 0x80, 0xBF)
        case 0xE0: form = (3, 0, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: form = (3, UInt32(lead & 0x0F), 0x80, 0xBF)
        case 0xED: form = (3, 0x0D, 0x80, 0x9F)
        case 0xF0: form = (4, 0, 0x90, 0xBF)
        case 0xF1...0xF3: form = (4, UInt32(lead & 0x07), 0x80, 0xBF)
        case 0xF4: form = (4, 4, 0x80, 0x8F)
        default: return nil
        }
        let length = form.length
        var value = form.value
        let low = form.low
        let high = form.high
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let (min, max) = offset == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= min && byte <= max else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
    }

    private static func strlenOf(_ cString: UnsafePointer<CChar>) -> Int {
        var count = 0
        while cString[count] != 0 { count += 1 }
        return count
    }
}

extension FilePath {
    /// The file a Settle path names, byte for byte (see `PathText`).
    package init(settlePath path: String) {
        self = PathText.withCString(path) { FilePath(platformString: $0) }
    }
}
