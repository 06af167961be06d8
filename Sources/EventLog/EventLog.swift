import Foundation
import GRDB
import SagaWire

/// A process's durable event log: one SQLite database in WAL mode with synchronous commits.
///
/// It holds the events (global sequence numbers 1, 2, 3, … without gaps; per-stream versions
/// with optimistic concurrency), the processed command ids with their replies, snapshots and
/// consumer offsets. Every ``commit(_:)`` is durable when it returns.
///
/// An `EventLog` belongs to the thread that drives it (the process's reactor); it is not
/// `Sendable`.
public final class EventLog {
    /// The service whose log this is; stamped on every event's metadata.
    public let service: String
    /// The database file.
    public let path: String
    private let database: DatabaseQueue
    /// The sequence number of the last committed event (0 for an empty log).
    public private(set) var head: Int64

    /// Opens (creating if needed) the log at `path` for `service`.
    ///
    /// - Throws: ``EventLogError/wrongService(expected:found:)`` when the file belongs to another
    ///   service, ``EventLogError/storage(_:)`` when SQLite cannot open it.
    public init(path: String, service: String) throws(EventLogError) {
        self.service = service
        self.path = path
        var config = Configuration()
        config.label = "eventlog.\(service)"
        // Not `config.journalMode = .wal`: GRDB then lowers `synchronous` to NORMAL, which can
        // lose the last commits on power loss. WAL plus synchronous=FULL fsyncs the WAL at every
        // commit, so a commit that returned survives a crash or power loss.
        config.prepareDatabase { db in
            guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                throw EventLogError.storage("could not switch \(path) to WAL mode")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            database = try DatabaseQueue(path: path, configuration: config)
            try Schema.migrator().migrate(database)
            let (found, head) = try database.write { db -> (String?, Int64) in
                let found = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'service'")
                if found == nil {
                    try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('service', ?)", arguments: [service])
                }
                let head = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0
                return (found, head)
            }
            if let found, found != service { throw EventLogError.wrongService(expected: service, found: found) }
            self.head = head
        } catch let error as EventLogError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Opens an existing log file for whichever service it belongs to (for inspection tools).
    ///
    /// - Throws: ``EventLogError/storage(_:)`` when there is no log at `path`.
    public convenience init(existingAt path: String) throws(EventLogError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .storage("no log at \(path)") }
        let service: String
        do {
            var config = Configuration()
            config.readonly = true
            let probe = try DatabaseQueue(path: path, configuration: config)
            guard let found = try probe.read({ db in
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'service'")
            }) else { throw EventLogError.corrupt("\(path) has no service name") }
            try probe.close()
            service = found
        } catch let error as EventLogError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
        try self.init(path: path, service: service)
    }

    // MARK: Writing

    /// Commits one batch atomically.
    ///
    /// - Returns: the events appended, with their sequence numbers and versions.
    /// - Throws: ``EventLogError/versionConflict(stream:expected:actual:)`` or
    ///   ``EventLogError/duplicateCommand(_:)`` when the batch is refused (nothing is written),
    ///   ``EventLogError/storage(_:)`` when SQLite fails.
    @discardableResult
    public func commit(_ batch: LogBatch) throws(EventLogError) -> [Event] {
        try commit(group: [batch])[0].get()
    }

    /// Group commit: many batches in one transaction and one fsync.
    ///
    /// Each batch is still all-or-nothing: a batch refused for a version conflict or a
    /// duplicate command is rolled back to its savepoint and reported in its result, while the
    /// others commit.
    ///
    /// - Returns: one result per batch, in order.
    /// - Throws: ``EventLogError/storage(_:)`` when the transaction as a whole fails; then
    ///   nothing at all was written.
    public func commit(group batches: [LogBatch]) throws(EventLogError) -> [Result<[Event], EventLogError>] {
        if batches.isEmpty { return [] }
        let start = head
        let service = self.service
        do {
            let (results, newHead) = try database.write { db -> ([Result<[Event], EventLogError>], Int64) in
                var next = start + 1
                var results: [Result<[Event], EventLogError>] = []
                results.reserveCapacity(batches.count)
                for batch in batches {
                    var outcome: Result<[Event], EventLogError> = .success([])
                    let savedNext = next
                    try db.inSavepoint {
                        do {
                            outcome = .success(try Self.apply(batch, in: db, next: &next, service: service))
                            return .commit
                        } catch let error as EventLogError {
                            outcome = .failure(error)
                            next = savedNext
                            return .rollback
                        }
                    }
                    results.append(outcome)
                }
                return (results, next - 1)
            }
            head = newHead
            return results
        } catch let error as EventLogError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    private static func apply(_ batch: LogBatch, in db: Database, next: inout Int64, service: String) throws -> [Event] {
        var events: [Event] = []
        for command in batch.commands {
            let seen = try db.cachedStatement(sql: "SELECT 1 FROM commands WHERE command_id = ?")
            if try Int.fetchOne(seen, arguments: [command.commandID]) != nil {
                throw EventLogError.duplicateCommand(command.commandID)
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO commands (command_id, reply, time_ms) VALUES (?, ?, ?)")
            try insert.execute(arguments: [command.commandID, String(decoding: command.reply, as: UTF8.self), command.timeMs])
        }
        let insertEvent = try db.cachedStatement(sql: """
            INSERT INTO events (seq, stream, version, type, data, correlation_id, causation_id, time_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for append in batch.appends where !append.events.isEmpty {
            var version = try streamVersion(append.stream, in: db)
            guard append.expectedVersion.admits(version) else {
                throw EventLogError.versionConflict(stream: append.stream, expected: append.expectedVersion, actual: version)
            }
            for event in append.events {
                version += 1
                let data = String(decoding: JSONWriter.encode(event.data), as: UTF8.self)
                try insertEvent.execute(arguments: [
                    next, append.stream, version, event.type, data, event.correlationID, event.causationID, event.timeMs,
                ])
                events.append(Event(
                    seq: next, stream: append.stream, version: version, type: event.type, data: event.data,
                    metadata: EventMetadata(correlationID: event.correlationID, causationID: event.causationID,
                                            service: service, timeMs: event.timeMs)))
                next += 1
            }
        }
        for snapshot in batch.snapshots {
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO snapshots (stream, version, seq, data) VALUES (?, ?, ?, ?)
                ON CONFLICT (stream) DO UPDATE SET version = excluded.version, seq = excluded.seq, data = excluded.data
                """)
            try upsert.execute(arguments: [
                snapshot.stream, snapshot.version, snapshot.seq, String(decoding: JSONWriter.encode(snapshot.data), as: UTF8.self),
            ])
        }
        for (consumer, position) in batch.offsets {
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO offsets (consumer, position) VALUES (?, ?)
                ON CONFLICT (consumer) DO UPDATE SET position = excluded.position
                """)
            try upsert.execute(arguments: [consumer, position])
        }
        return events
    }

    private static func streamVersion(_ stream: String, in db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(sql: "SELECT MAX(version) FROM events WHERE stream = ?")
        return try Int64.fetchOne(statement, arguments: [stream]) ?? 0
    }

    // MARK: Reading

    /// The reply recorded for a command id, or `nil` when the command was never processed.
    public func reply(forCommand commandID: String) throws(EventLogError) -> [UInt8]? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT reply FROM commands WHERE command_id = ?", arguments: [commandID])
                .map { Array($0.utf8) }
        }
    }

    /// The current version of a stream (0 when it has no events).
    public func version(ofStream stream: String) throws(EventLogError) -> Int64 {
        try read { db in try Self.streamVersion(stream, in: db) }
    }

    /// The events of one stream from `fromVersion` on, in order.
    public func read(stream: String, fromVersion: Int64 = 1) throws(EventLogError) -> [Event] {
        try readEvents(sql: "SELECT * FROM events WHERE stream = ? AND version >= ? ORDER BY version",
                       arguments: [stream, fromVersion])
    }

    /// Up to `limit` events with sequence numbers from `seq` on, in order and without gaps.
    public func read(from seq: Int64, limit: Int) throws(EventLogError) -> [Event] {
        try readEvents(sql: "SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
    }

    /// The events of one saga (correlation id), in log order.
    public func read(correlationID: String) throws(EventLogError) -> [Event] {
        try readEvents(sql: "SELECT * FROM events WHERE correlation_id = ? ORDER BY seq", arguments: [correlationID])
    }

    /// Calls `body` for every event from `seq` on, in order, without holding them all in memory.
    /// Used to rebuild state at start.
    public func forEachEvent(from seq: Int64 = 1, _ body: (Event) throws -> Void) throws(EventLogError) {
        let service = self.service
        try read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM events WHERE seq >= ? ORDER BY seq", arguments: [seq])
            while let row = try cursor.next() {
                try body(try Self.event(from: row, service: service))
            }
        }
    }

    /// The snapshot of a stream, if one was saved.
    public func snapshot(stream: String) throws(EventLogError) -> Snapshot? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshots WHERE stream = ?", arguments: [stream]) else {
                return nil
            }
            return try Self.snapshot(from: row)
        }
    }

    /// Every saved snapshot.
    public func snapshots() throws(EventLogError) -> [Snapshot] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM snapshots ORDER BY stream").map(Self.snapshot(from:)) }
    }

    /// A consumer's saved offset, or `nil` when it never saved one.
    public func offset(consumer: String) throws(EventLogError) -> Int64? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT position FROM offsets WHERE consumer = ?", arguments: [consumer])
        }
    }

    /// Every consumer's saved offset.
    public func offsets() throws(EventLogError) -> [String: Int64] {
        try read { db in
            var result: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT consumer, position FROM offsets") {
                result[row[0]] = row[1]
            }
            return result
        }
    }

    /// The number of recorded command ids.
    public func commandCount() throws(EventLogError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM commands") ?? 0 }
    }

    /// Checks the log's invariants: sequence numbers 1…head without gaps, and every stream's
    /// versions 1, 2, 3, … in log order.
    public func verify() throws(EventLogError) -> LogVerification {
        try read { db in
            var gaps: [ClosedRange<Int64>] = []
            var outOfOrder: Set<String> = []
            var lastVersion: [String: Int64] = [:]
            var expected: Int64 = 1
            var count: Int64 = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, stream, version FROM events ORDER BY seq")
            while let row = try cursor.next() {
                let seq: Int64 = row[0]
                let stream: String = row[1]
                let version: Int64 = row[2]
                if seq != expected { gaps.append(expected...(seq - 1)) }
                expected = seq + 1
                count += 1
                if version != lastVersion[stream, default: 0] + 1 { outOfOrder.insert(stream) }
                lastVersion[stream] = version
            }
            let commands = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM commands") ?? 0
            return LogVerification(events: count, head: expected - 1, sequenceGaps: gaps,
                                   streamsOutOfOrder: outOfOrder.sorted(), commands: commands)
        }
    }

    /// The value of an SQLite pragma on the log's own connection (`journal_mode`, `synchronous`…),
    /// for diagnostics and tests.
    public func pragma(_ name: String) throws(EventLogError) -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { throw .storage("invalid pragma name \(name)") }
        return try read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: Helpers

    private func read<T>(_ body: (Database) throws -> T) throws(EventLogError) -> T {
        do {
            return try database.read(body)
        } catch let error as EventLogError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    private func readEvents(sql: String, arguments: StatementArguments) throws(EventLogError) -> [Event] {
        let service = self.service
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { try Self.event(from: $0, service: service) }
        }
    }

    private static let storedLimits = JSONParser.Limits(maxDepth: 64, maxStringBytes: 16 << 20)

    private static func parseStored(_ text: String, _ what: @autoclosure () -> String) throws -> JSON {
        do {
            return try JSONParser.parse(Array(text.utf8), limits: storedLimits)
        } catch {
            throw EventLogError.corrupt("\(what()): \(error)")
        }
    }

    private static func event(from row: Row, service: String) throws -> Event {
        let seq: Int64 = row["seq"]
        return Event(
            seq: seq, stream: row["stream"], version: row["version"], type: row["type"],
            data: try parseStored(row["data"], "data of event \(seq)"),
            metadata: EventMetadata(correlationID: row["correlation_id"], causationID: row["causation_id"],
                                    service: service, timeMs: row["time_ms"]))
    }

    private static func snapshot(from row: Row) throws -> Snapshot {
        let stream: String = row["stream"]
        return Snapshot(stream: stream, version: row["version"], seq: row["seq"],
                        data: try parseStored(row["data"], "snapshot of \(stream)"))
    }
}
