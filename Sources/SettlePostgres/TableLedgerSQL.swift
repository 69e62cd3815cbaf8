import SettleEngine

/// The SQL a table ledger runs: what it reads from (a table, or a read-only query as a subquery),
/// its key and columns, as statements with identifiers quoted and values bound (never spliced).
package struct TableLedgerSQL: Sendable, Equatable {
    package enum Target: Sendable, Equatable {
        /// `table=NAME` or `table=SCHEMA.NAME`.
        case table(schema: String?, name: String)
        /// `query=SELECT ...`, read as `(query) AS settle_ledger`.
        case query(String)
    }

    package var target: Target
    /// The key column (as the server spells it).
    package var key: String
    /// The ledger columns read, in page order (as the server spells them).
    package var columns: [String]

    /// `"name"` with inner quotes doubled.
    package static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingAll("\"", with: "\"\"") + "\""
    }

    /// `table=` as schema and name: `a.b` is schema a, table b; a quoted part keeps its dots.
    package static func tableName(_ text: String) -> Target {
        var parts: [String] = []
        var current = "", quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if character == "\"" {
                if quoted && characters.first == "\"" {
                    current.append("\"")
                    characters = characters.dropFirst()
                } else {
                    quoted.toggle()
                }
            } else if character == "." && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(quoted ? character : Character(character.lowercased()))
            }
        }
        parts.append(current)
        return parts.count >= 2 ? .table(schema: parts[parts.count - 2], name: parts[parts.count - 1]) : .table(schema: nil, name: parts[0])
    }

    /// What the statements read from.
    package var from: String {
        switch target {
        case .table(let schema, let name): return (schema.map { Self.quote($0) + "." } ?? "") + Self.quote(name)
        case .query(let sql): return "(" + sql + ") AS settle_ledger"
        }
    }

    /// The table's name as rejects and mismatches show it (`ledger_file`).
    package var name: String {
        switch target {
        case .table(let schema, let name): return (schema.map { $0 + "." } ?? "") + name
        case .query: return "query"
        }
    }

    /// `regclass` text of the table, for catalog look-ups.
    package var regclass: String? {
        guard case .table = target else { return nil }
        return from
    }

    /// The table's columns, in order (catalog).
    package static let columnsOfTable = """
        SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
        """

    /// The primary key's column when it is a single column.
    package static let primaryKey = """
        SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = to_regclass($1) AND i.indisprimary AND i.indnatts = 1
        """

    /// One row when the key column is not null and has a unique index of its own.
    package static let keyIsUnique = """
        SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL AND a.attname = $2 AND a.attnotnull
        """

    /// The key's type (integer types only are read).
    package var keyType: String { "SELECT pg_typeof(\(Self.quote(key)))::text FROM \(from) LIMIT 1" }

    /// Nothing, but fails when a column is not there.
    package var probe: String {
        "SELECT \(([key] + columns).map(Self.quote).joined(separator: ", ")) FROM \(from) LIMIT 0"
    }

    /// Rows, keys, distinct and non-null keys, smallest and largest key.
    package var facts: String {
        let key = Self.quote(self.key)
        let distinct: String
        if case .query = target { distinct = "count(DISTINCT \(key))::text" } else { distinct = "count(\(key))::text" }
        return "SELECT count(*)::text, count(\(key))::text, \(distinct), min(\(key))::text, max(\(key))::text FROM \(from)"
    }

    /// Average bytes of a row of the columns read, over the first 1,000 rows by key.
    package var rowSize: String {
        let selected = ([key] + columns).map(Self.quote).joined(separator: ", ")
        return "SELECT coalesce(avg(pg_column_size(s.*)), 0)::bigint::text FROM (SELECT \(selected) FROM \(from) ORDER BY \(Self.quote(key)) LIMIT 1000) s"
    }

    /// One keyset page: `$1` the last key read, `$2` the range's end, `$3` the page size.
    package var page: String {
        let key = Self.quote(self.key)
        // Aliased: ORDER BY a bare name would sort by an output column of that name, as text.
        let selected = ([key + "::text AS settle_key"] + columns.enumerated().map { Self.quote($1) + "::text AS settle_\($0)" })
            .joined(separator: ", ")
        return "SELECT \(selected) FROM \(from) WHERE \(key) > $1 AND \(key) <= $2 ORDER BY \(key) LIMIT $3"
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
