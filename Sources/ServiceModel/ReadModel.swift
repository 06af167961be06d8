import SagaWire

/// A value in a read-side column: what indexes and filters compare.
public enum ReadValue: Sendable, Hashable {
    case int(Int64)
    case text(String)
    case null
}

/// One table of a process's read side, kept in its log's database and written from the events
/// it comes from: a projection of the log, in batches after their commits (the orchestrator's
/// and the services'), or in the same transaction (the monitor's).
///
/// Every row has a key (the column `id`, `TEXT PRIMARY KEY`), some columns that queries filter
/// and order by, and the document (JSON, column `doc`) that queries return.
public struct ReadTable: Sendable, Equatable {
    /// The table's name (an SQL identifier).
    public let name: String
    /// The other columns, by name (SQL identifiers).
    public let columns: [String]
    /// Indexes, each a list of columns (`id` is appended, for keyset paging).
    public let indexes: [[String]]

    public init(_ name: String, columns: [String] = [], indexes: [[String]] = []) {
        self.name = name
        self.columns = columns
        self.indexes = indexes
    }
}

/// A process's read side: its tables. The host creates them at start.
public struct ReadModelSchema: Sendable, Equatable {
    public let tables: [ReadTable]

    public init(_ tables: [ReadTable]) {
        self.tables = tables
    }

    /// No tables.
    public static let none = ReadModelSchema([])
}

/// A change to the read side, made by the fold of an event (``EventSourced/apply(_:)``).
public enum ReadWrite: Sendable, Equatable {
    /// Inserts the row with `key` into `table`, or replaces it: its columns and its document.
    case put(table: String, key: String, columns: [String: ReadValue], document: JSON)
    /// Deletes the row with `key` from `table` (retention).
    case delete(table: String, key: String)
    /// Adds `delta` to the counter `name` (created at 0); when this write creates it, also adds
    /// 1 to `onCreate` (a count of distinct keys: users, say).
    case count(String, by: Int64, onCreate: String? = nil)
}

/// A list query on one read-side table: the rows whose `filter` columns equal the given values,
/// ordered by `order` then by key, after a keyset cursor, at most `limit` of them.
public struct ReadQuery: Sendable, Equatable {
    public var table: String
    public var filter: [String: ReadValue]
    /// The column to order by (the key when `nil`).
    public var order: String?
    public var descending: Bool
    /// The cursor: the order column's value and the key of the last row of the previous page.
    public var after: (value: ReadValue, key: String)?
    public var limit: Int
    /// Rows with a value in one of `search.columns` that starts with `search.text` (from the
    /// columns' indexes), if set.
    public var search: (columns: [String], text: String)?
    /// Only rows whose `order` column is set.
    public var nonNull: Bool

    public init(table: String, filter: [String: ReadValue] = [:], order: String? = nil, descending: Bool = false,
                after: (value: ReadValue, key: String)? = nil, limit: Int, search: (columns: [String], text: String)? = nil,
                nonNull: Bool = false) {
        self.nonNull = nonNull
        self.table = table
        self.filter = filter
        self.order = order
        self.descending = descending
        self.after = after
        self.limit = limit
        self.search = search
    }

    public static func == (a: ReadQuery, b: ReadQuery) -> Bool {
        a.table == b.table && a.filter == b.filter && a.order == b.order && a.descending == b.descending
            && a.after?.value == b.after?.value && a.after?.key == b.after?.key && a.limit == b.limit
            && a.search?.columns == b.search?.columns && a.search?.text == b.search?.text && a.nonNull == b.nonNull
    }
}

/// A row a list query returned: its key, the value of the column it was ordered by, and its
/// document.
public struct ReadRow: Sendable, Equatable {
    public var key: String
    public var orderValue: ReadValue
    public var document: JSON

    public init(key: String, orderValue: ReadValue, document: JSON) {
        self.key = key
        self.orderValue = orderValue
        self.document = document
    }
}

/// Reads a process's read side: documents by key, pages of rows from indexes, counters. The
/// host implements it over SQLite; every call answers from an index or a counter, never a scan
/// of history.
public protocol ReadModelReader {
    /// The document of the row with `key`, if there is one.
    func document(_ table: String, key: String) throws(WireError) -> JSON?
    /// The rows of a list query, in order.
    func rows(_ query: ReadQuery) throws(WireError) -> [ReadRow]
    /// A counter's value (0 when never counted).
    func counter(_ name: String) throws(WireError) -> Int64
    /// Every counter whose name starts with `prefix`, by name.
    func counters(prefix: String) throws(WireError) -> [String: Int64]
}

extension ReadModelReader {
    /// One page of a list query and the cursor of the next page (`nil` on the last), read from
    /// an index as `limit + 1` rows. Without a filter the rows come in key order and the cursor is
    /// the last key; with one (a status, say) they come by `order` (the table's `updated_ms`:
    /// its index on `status, updated_ms` serves both the page and retention) and the cursor is
    /// `<value>:<key>`. Cursors are opaque to clients: they pass `next` back as `after`.
    public func page(_ table: String, filter: [String: ReadValue] = [:], order: String = "updated_ms",
                     _ page: Page) throws(WireError) -> (documents: [JSON], next: String?) {
        let ordered = !filter.isEmpty
        var after: (value: ReadValue, key: String)?
        if let cursor = page.after {
            if ordered {
                guard let colon = cursor.firstIndex(of: ":"), let value = Int64(cursor[..<colon]) else {
                    throw WireError(.invalidArgument, "not a cursor of this list (pass back the previous page's next)", field: "body.after")
                }
                after = (.int(value), String(cursor[cursor.index(after: colon)...]))
            } else {
                after = (.text(cursor), cursor)
            }
        }
        let rows = try rows(ReadQuery(table: table, filter: filter, order: ordered ? order : nil, after: after, limit: page.limit + 1))
        let shown = rows.prefix(page.limit)
        guard rows.count > page.limit, let last = shown.last else { return (shown.map(\.document), nil) }
        guard ordered else { return (shown.map(\.document), last.key) }
        let value: String
        switch last.orderValue {
        case .int(let number): value = String(number)
        case .text, .null: value = "0"
        }
        return (shown.map(\.document), "\(value):\(last.key)")
    }
}
