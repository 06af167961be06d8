import ServiceModel

/// The SQL of a read model's writes, built once when the log opens (a commit writes many rows,
/// and building a statement's text for each is most of what a row costs).
struct ReadSideStatements: Sendable {
    /// The upsert of a table's row: its columns in schema order, then the statement's text
    /// (parameters: the key, the columns, the document).
    struct Put: Sendable {
        let columns: [String]
        let sql: String
    }

    let puts: [String: Put]

    init(_ schema: ReadModelSchema) {
        var puts: [String: Put] = [:]
        for table in schema.tables {
            let list = (["id"] + table.columns.map { "\"\($0)\"" } + ["doc"]).joined(separator: ", ")
            let marks = Array(repeating: "?", count: table.columns.count + 2).joined(separator: ", ")
            let updates = (table.columns.map { "\"\($0)\" = excluded.\"\($0)\"" } + ["doc = excluded.doc"]).joined(separator: ", ")
            puts[table.name] = Put(columns: table.columns, sql: """
                INSERT INTO "\(table.name)" (\(list)) VALUES (\(marks)) ON CONFLICT (id) DO UPDATE SET \(updates)
                """)
        }
        self.puts = puts
    }
}
