import Foundation
import GRDB
import SagaWire
import ServiceModel

/// The read side in the log's database: the tables of a ``ReadModelSchema``, their writes
/// (within a commit's transaction) and their queries.
enum ReadSide {
    /// Creates the schema's tables and indexes that do not exist yet; returns whether a table
    /// was created.
    static func create(_ schema: ReadModelSchema, in db: Database) throws -> Bool {
        var created = false
        for table in schema.tables {
            try check(table.name)
            if try !db.tableExists(table.name) { created = true }
            for column in table.columns { try check(column) }
            // A rowid table, with the key in a unique index: new rows are appended, so a commit
            // writes few pages of the table itself (a WITHOUT ROWID table keyed by random ids would
            // touch a random leaf per row), and an update changes its row in place.
            let columns = (["id TEXT NOT NULL UNIQUE"] + table.columns.map { "\"\($0)\"" } + ["doc TEXT NOT NULL"])
                .joined(separator: ", ")
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS \"\(table.name)\" (\(columns))")
            for index in table.indexes {
                let name = "\(table.name)_by_\(index.joined(separator: "_"))"
                let list = (index + ["id"]).map { "\"\($0)\"" }.joined(separator: ", ")
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS \"\(name)\" ON \"\(table.name)\" (\(list))")
            }
        }
        return created
    }

    /// Carries out read-side writes inside the current transaction.
    static func write(_ writes: [ReadWrite], in db: Database, using statements: ReadSideStatements) throws {
        for change in writes {
            switch change {
            case .put(let table, let key, let columns, let document):
                guard let put = statements.puts[table] else { throw EventLogError.storage("no read-side table \(table)") }
                var values: [DatabaseValue] = []
                values.reserveCapacity(put.columns.count + 2)
                values.append(key.databaseValue)
                var named = 0
                for name in put.columns {
                    if let value = columns[name] {
                        values.append(value.databaseValue)
                        named += 1
                    } else {
                        values.append(.null)
                    }
                }
                if named != columns.count {
                    throw EventLogError.storage("a write to \(table) names a column it does not have: \(columns.keys.sorted())")
                }
                values.append(String(decoding: JSONWriter.encode(document), as: UTF8.self).databaseValue)
                let statement = try db.cachedStatement(sql: put.sql)
                statement.setUncheckedArguments(StatementArguments(values))
                try statement.execute()
            case .delete(let table, let key):
                try db.cachedStatement(sql: "DELETE FROM \"\(table)\" WHERE id = ?").execute(arguments: [key])
            case .count(let name, let delta, nil):
                try db.cachedStatement(sql: """
                    INSERT INTO counters (name, value) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
                    """).execute(arguments: [name, delta])
            case .count(let name, let delta, let onCreate?):
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)").execute(arguments: [name])
                if db.changesCount > 0 { try Self.write([.count(onCreate, by: 1)], in: db, using: statements) }
                try db.cachedStatement(sql: "UPDATE counters SET value = value + ? WHERE name = ?").execute(arguments: [delta, name])
            }
        }
    }

    /// The SQL of a list query and its arguments.
    static func select(_ query: ReadQuery) throws -> (sql: String, arguments: StatementArguments) {
        try check(query.table)
        let order = query.order ?? "id"
        try check(order)
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for (column, value) in query.filter.sorted(by: { $0.key < $1.key }) {
            try check(column)
            conditions.append("\"\(column)\" = ?")
            arguments.append(value.database)
        }
        if query.nonNull && order != "id" { conditions.append("\"\(order)\" IS NOT NULL") }
        if let after = query.after {
            let comparison = query.descending ? "<" : ">"
            if order == "id" {
                conditions.append("id \(comparison) ?")
                arguments.append(after.key)
            } else {
                conditions.append("(\"\(order)\", id) \(comparison) (?, ?)")
                arguments.append(after.value.database)
                arguments.append(after.key)
            }
        }
        if let search = query.search, !search.text.isEmpty {
            // A prefix range on each column's index: `c >= text AND c < text + U+10FFFF`.
            var alternatives: [String] = []
            for column in search.columns {
                try check(column)
                alternatives.append("(\"\(column)\" >= ? AND \"\(column)\" < ?)")
                arguments.append(search.text)
                arguments.append(search.text + "\u{10FFFF}")
            }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        let direction = query.descending ? "DESC" : "ASC"
        let ordering = order == "id" ? "id \(direction)" : "\"\(order)\" \(direction), id \(direction)"
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        arguments.append(query.limit)
        return ("SELECT id, \"\(order)\", doc FROM \"\(query.table)\"\(whereClause) ORDER BY \(ordering) LIMIT ?",
                StatementArguments(arguments))
    }

    /// Refuses anything but a plain SQL identifier (names come from code, never from requests;
    /// this keeps a mistake from becoming SQL).
    static func check(_ name: String) throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }),
              !(name.utf8.first! >= 48 && name.utf8.first! <= 57) else {
            throw EventLogError.storage("invalid read-side name \(name)")
        }
    }
}

extension ReadValue {
    /// The value as SQLite stores it.
    var database: (any DatabaseValueConvertible)? {
        switch self {
        case .int(let value): return value
        case .text(let value): return value
        case .null: return nil
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .int(let value): return value.databaseValue
        case .text(let value): return value.databaseValue
        case .null: return .null
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .int64(let int): self = .int(int)
        case .string(let text): self = .text(text)
        case .double(let double): self = .int(Int64(double))
        case .blob, .null: self = .null
        }
    }
}

extension EventLog: ReadModelReader {
    public func document(_ table: String, key: String) throws(WireError) -> JSON? {
        try readSide { db in
            try ReadSide.check(table)
            return try String.fetchOne(db.cachedStatement(sql: "SELECT doc FROM \"\(table)\" WHERE id = ?"), arguments: [key])
                .map { try Self.parseStored($0, "\(table) row \(key)") }
        }
    }

    public func rows(_ query: ReadQuery) throws(WireError) -> [ReadRow] {
        try readSide { db in
            let (sql, arguments) = try ReadSide.select(query)
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
                let key: String = row[0]
                return ReadRow(key: key, orderValue: ReadValue(row[1] as DatabaseValue),
                               document: try Self.parseStored(row[2], "\(query.table) row \(key)"))
            }
        }
    }

    /// Every row of a read-side table, by key: for verifying the read side against a fold of
    /// the log (`zsaga-log verify`), not for serving.
    public func documents(_ table: String) throws(WireError) -> [String: JSON] {
        try readSide { db in
            try ReadSide.check(table)
            var found: [String: JSON] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT id, doc FROM \"\(table)\"")
            while let row = try cursor.next() {
                let key: String = row[0]
                found[key] = try Self.parseStored(row[1], "\(table) row \(key)")
            }
            return found
        }
    }

    public func counter(_ name: String) throws(WireError) -> Int64 {
        try readSide { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM counters WHERE name = ?"), arguments: [name]) ?? 0
        }
    }

    public func counters(prefix: String) throws(WireError) -> [String: Int64] {
        try readSide { db in
            var found: [String: Int64] = [:]
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT name, value FROM counters WHERE name >= ? AND name < ?"),
                                        arguments: [prefix, prefix + "\u{10FFFF}"])
            for row in rows { found[row[0]] = row[1] }
            return found
        }
    }

    /// A read of the read side; a storage failure is an `internal` error for the query.
    private func readSide<T>(_ body: (Database) throws -> T) throws(WireError) -> T {
        do {
            return try read(body)
        } catch {
            throw WireError(.internal, "reading the read side failed: \(error)")
        }
    }
}
