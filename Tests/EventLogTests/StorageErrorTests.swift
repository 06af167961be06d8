import Foundation
import GRDB
import SagaWire
import Testing
import TestSupport
@testable import EventLog

/// A storage failure keeps SQLite's result codes and message, as GRDB reported them.
@Suite struct StorageErrorTests {
    @Test func aFileThatIsNotADatabaseIsSQLitesNotADB() throws {
        let directory = try TempDirectory("eventlog-errors")
        defer { directory.remove() }
        let path = directory.file("log.sqlite")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try EventLog(path: path, service: "order")
            Issue.record("a file of garbage opened as a log")
        } catch {
            // SQLITE_NOTADB
            #expect(error.sqliteCode == 26, "\(error)")
            #expect(error.description.contains("SQLite error 26"), "\(error)")
        }
    }

    @Test func aReadOnlyLogRefusesACommitWithSQLitesCode() throws {
        let fixture = try LogFixture()
        _ = try fixture.log.commit(LogBatch(appends: [StreamAppend(stream: "order-o1", expectedVersion: .noStream,
                                                                   events: [NewEvent(type: "OrderVoided", data: ["order_id": "o1"], timeMs: 1)])]))
        let reader = try EventLog(existingAt: fixture.path)
        try reader.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = ON") }
        do {
            _ = try reader.commit(LogBatch(appends: [StreamAppend(stream: "order-o2", expectedVersion: .noStream,
                                                                 events: [NewEvent(type: "OrderVoided", data: ["order_id": "o2"], timeMs: 1)])]))
            Issue.record("a query-only log accepted a commit")
        } catch {
            // SQLITE_READONLY
            #expect(error.sqliteCode == 8, "\(error)")
        }
    }
}
