import PostgresNIO
import SettleEngine

/// One map worker's reader of a ledger table: one connection, opened at its first page and reused
/// for every page and partition after; a connection that failed is dropped and opened again at the
/// next page (the engine retries the partition, with backoff, on an I/O error).
final class PostgresLedgerReader: LedgerRowReader {
    let source: PostgresLedgerSource
    private var connection: LedgerConnection?

    init(source: PostgresLedgerSource) { self.source = source }

    func readPage(after: Int64, through: Int64, limit: Int, into page: inout LedgerPage) throws {
        page.removeAll()
        let connection = try self.connection ?? source.connect()
        self.connection = connection
        let rows: [PostgresRow]
        do {
            rows = try connection.rows(source.sql.page, binds: [after, through, Int64(limit)])
        } catch {
            connection.close()
            self.connection = nil
            throw SettleError(.io, "ledger \(source.display): reading keys \(after + 1) to \(through): \(LedgerConnection.describe(error))")
        }
        for row in rows {
            var cells = row.makeIterator()
            guard let keyCell = cells.next(), var keyBytes = keyCell.bytes,
                  let text = keyBytes.readString(length: keyBytes.readableBytes), let key = Int64(text) else {
                throw SettleError(.io, "ledger \(source.display): a row without a readable key after key \(after)")
            }
            page.appendRow(key: key)
            while let cell = cells.next() {
                if let bytes = cell.bytes {
                    bytes.withUnsafeReadableBytes { page.appendField($0) }
                } else {
                    page.appendField(nil as UnsafeRawBufferPointer?)
                }
            }
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}
