import GRDB

extension EventLogError {
    /// The error for a failure inside the log: an ``EventLogError`` as it is, SQLite's with its
    /// result codes and message (``sqlite(code:extendedCode:message:sql:)``), anything else by
    /// its description.
    init(wrapping error: any Error) {
        switch error {
        case let error as EventLogError:
            self = error
        case let error as DatabaseError:
            self = .sqlite(code: error.resultCode.rawValue, extendedCode: error.extendedResultCode.rawValue,
                           message: error.message, sql: error.sql)
        default:
            self = .storage("\(error)")
        }
    }

    /// SQLite's primary result code, when SQLite failed (`SQLITE_FULL` is 13, `SQLITE_BUSY` 5…).
    public var sqliteCode: Int32? {
        if case .sqlite(let code, _, _, _) = self { return code }
        return nil
    }
}
