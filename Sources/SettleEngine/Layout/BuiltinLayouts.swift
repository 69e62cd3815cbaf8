/// Layouts compiled into the binary, so `--layout NAME` works from any directory and on a host that
/// has only the `settle` binary. Each text equals `datasets/layouts/NAME.yaml` byte for byte (a test
/// checks it).
public enum BuiltinLayouts {
    public static let texts: [String: String] = [
        "reference": reference,
        "wide": wide,
    ]

    public static var names: [String] { texts.keys.sorted() }

    static let reference = #"""
# The built-in reference layout: one header, detail records, one trailer with control totals.
# Positions are 1-based and inclusive, as in bank file specifications.
name: reference
record_length: 160            # bytes per record, excluding the terminator
terminator: lf                # lf | crlf | none (fixed blocks) | auto (detect from the file)
record_type: {start: 1, length: 1}
records:
  header:
    code: "H"
    fields:
      - {name: file_date, start: 2, length: 8, type: date}        # YYYYMMDD
      - {name: file_id,   start: 10, length: 10, type: text}
      - {name: network,   start: 20, length: 10, type: text}
  detail:
    code: "D"
    fields:
      - {name: arn,         start: 2,  length: 23, type: digits, role: reference}
      - {name: merchant_id, start: 25, length: 15, type: text,   role: merchant}
      - {name: terminal_id, start: 40, length: 8,  type: text}
      - {name: txn_date,    start: 48, length: 8,  type: date}
      - {name: settle_date, start: 56, length: 8,  type: date}
      - {name: currency,    start: 64, length: 3,  type: text,   role: currency}
      - {name: amount,      start: 67, length: 12, type: amount, role: amount}
      - {name: direction,   start: 79, length: 1,  type: code,   role: direction, debit: "D", credit: "C"}
      - {name: fee,         start: 80, length: 10, type: amount, role: fee}
      - {name: mcc,         start: 90, length: 4,  type: digits}
      - {name: auth_code,   start: 94, length: 6,  type: text}
      - {name: txn_type,    start: 100, length: 2, type: digits}
  trailer:
    code: "T"
    fields:
      - {name: record_count, start: 2,  length: 12, type: digits, role: control_count}
      - {name: total_debit,  start: 14, length: 18, type: amount, role: control_debit}
      - {name: total_credit, start: 32, length: 18, type: amount, role: control_credit}
      - {name: total_fee,    start: 50, length: 18, type: amount, role: control_fee}
"""#

    static let wide = #"""
# An example of a second network's layout: other positions, a two-byte record type,
# CRLF terminators, 200-byte records and a sensitive card number.
name: wide
record_length: 200
terminator: crlf
record_type: {start: 199, length: 2}
records:
  header:
    code: "00"
    fields:
      - {name: file_date,  start: 1,  length: 8,  type: date}
      - {name: file_id,    start: 9,  length: 12, type: text}
      - {name: network,    start: 21, length: 12, type: text}
  detail:
    code: "10"
    fields:
      - {name: currency,    start: 1,   length: 3,  type: text,   role: currency}
      - {name: direction,   start: 4,   length: 2,  type: code,   role: direction, debit: "DR", credit: "CR"}
      - {name: amount,      start: 6,   length: 15, type: amount, role: amount}
      - {name: fee,         start: 21,  length: 9,  type: amount, role: fee}
      - {name: merchant_id, start: 30,  length: 20, type: text,   role: merchant}
      - {name: pan,         start: 50,  length: 16, type: digits, sensitive: true}
      - {name: arn,         start: 66,  length: 23, type: digits, role: reference}
      - {name: txn_date,    start: 89,  length: 8,  type: date}
      - {name: channel,     start: 97,  length: 1,  type: code,   values: ["E", "P", "M"]}
      - {name: memo,        start: 98,  length: 40, type: text,   optional: true}
  trailer:
    code: "99"
    fields:
      - {name: record_count, start: 1,  length: 12, type: digits, role: control_count}
      - {name: total_debit,  start: 13, length: 18, type: amount, role: control_debit}
      - {name: total_credit, start: 31, length: 18, type: amount, role: control_credit}
      - {name: total_fee,    start: 49, length: 18, type: amount, role: control_fee}
"""#
}
