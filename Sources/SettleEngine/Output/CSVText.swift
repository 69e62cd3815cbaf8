/// Byte-level CSV writing helpers: exact decimal integers and RFC 4180 quoting.
public enum CSVText {
    /// Appends the decimal digits of `value` (no allocation; 64-bit arithmetic when it fits).
    @inline(__always)
    public static func appendInteger(_ value: Int128, to out: inout [UInt8]) {
        if let small = Int64(exactly: value) {
            appendDigits(small.magnitude, negative: small < 0, to: &out)
        } else {
            appendDigits(value.magnitude, negative: value < 0, to: &out)
        }
    }

    @inline(__always)
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        appendDigits(value.magnitude, negative: value < 0, to: &out)
    }

    @inline(__always)
    static func appendDigits<Magnitude: FixedWidthInteger & UnsignedInteger>(_ magnitude: Magnitude, negative: Bool,
                                                                             to out: inout [UInt8]) {
        if magnitude == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if negative { out.append(UInt8(ascii: "-")) }
        var rest = magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var count = 0
            while rest > 0 {
                digits[count] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                rest /= 10
                count += 1
            }
            while count > 0 {
                count -= 1
                out.append(digits[count])
            }
        }
    }

    @inline(__always)
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        appendInteger(Int64(value), to: &out)
    }

    /// Appends a field, quoted when it holds a comma, quote, CR or LF.
    public static func appendField(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        let needsQuotes = bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func appendField(_ text: String, to out: inout [UInt8]) {
        appendField(Array(text.utf8), to: &out)
    }
}

/// Writes `totals.csv` from the merged, sorted stream of final aggregates.
public struct TotalsCSV {
    public static let header = "merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount\n"

    /// Appends one row.
    public static func appendRow(_ key: AggregateKey, _ value: PartialAggregate, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: MerchantKey.capacity, alignment: 8) { buffer in
            key.merchant.storeAll(to: buffer.baseAddress!)
            CSVText.appendField(UnsafeRawBufferPointer(rebasing: buffer[0..<key.merchant.byteCount]), to: &out)
            out.append(UInt8(ascii: ","))
            buffer.baseAddress!.storeBytes(of: key.currency.raw.bigEndian, as: UInt32.self)
            CSVText.appendField(UnsafeRawBufferPointer(rebasing: buffer[0..<key.currency.byteCount]), to: &out)
        }
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.debitCount, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.debitAmount, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.creditCount, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.creditAmount, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.feeAmount, to: &out)
        out.append(UInt8(ascii: ","))
        CSVText.appendInteger(value.netAmount, to: &out)
        out.append(0x0A)
    }
}
