import PostgresNIO
import SettleEngine

/// One map worker's reader of a ledger table: one connection, opened at its first page and reused
/// for every page and partition after; a connection that failed is dropped and opened again at the
/// next page (the engine retries the partition, with backoff, on an I/O error).
final class PostgresLedgerReader: LedgerRowReader {
    let source: PostgresLedgerSource
    private var session: PostgresSession?

    init(source: PostgresLedgerSource) { self.source = source }

    func readPage(after: Int64, through: Int64, limit: Int, into page: inout LedgerPage) throws {
        page.removeAll()
        let session = try self.session ?? source.connect()
        self.session = session
        var binds = PostgresBindings(capacity: 3)
        binds.append(after)
        binds.append(through)
        binds.append(Int64(limit))
        let rows: [PostgresRow]
        do {
            // Reconnects and retries (with backoff) a connection refused, reset or lost.
            rows = try session.retrying("reading keys \(after + 1) to \(through)") { try $0.query(sql: source.sql.page, binds: binds) }
        } catch {
            // An I/O error: the engine retries the partition, on a new connection.
            session.close()
            self.session = nil
            throw SettleError(.io, "ledger \(source.display): \(error.message)")
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
        session?.close()
        session = nil
    }
}
