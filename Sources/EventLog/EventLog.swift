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
    /// Versions of recently written streams. The process is the log's only writer, so a version
    /// it wrote stays true; bounded, and a miss just asks SQLite.
    private var knownVersions: [String: Int64] = [:]
    private static let knownVersionsLimit = 200_000

    /// How much of a commit survives what.
    public enum Durability: Sendable {
        /// Every commit is synced to disk before it returns: it survives a crash of the process
        /// and of the machine. What every process runs with.
        case synchronous
        /// Commits are not synced: they survive the process (the next connection sees them),
        /// not the machine. For simulations and embedded tests that crash an engine without
        /// losing the machine, where thousands of commits a second matter.
        case processOnly
    }

    /// Opens (creating if needed) the log at `path` for `service`.
    ///
    /// - Throws: ``EventLogError/wrongService(expected:found:)`` when the file belongs to another
    ///   service, ``EventLogError/storage(_:)`` when SQLite cannot open it.
    public init(path: String, service: String, durability: Durability = .synchronous) throws(EventLogError) {
        self.service = service
        self.path = path
        var config = Configuration()
        config.label = "eventlog.\(service)"
        // Not `config.journalMode = .wal`: GRDB then lowers `synchronous` to NORMAL, which can
        // lose the last commits on power loss. WAL plus synchronous=FULL fsyncs the WAL at every
        // commit, so a commit that returned survives a crash or power loss.
        config.prepareDatabase { db in
            // Nothing else opens an engine's log in an in-process run: skip the file locks.
            if durability == .processOnly { try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
            guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                throw EventLogError.storage("could not switch \(path) to WAL mode")
            }
            switch durability {
            case .synchronous: try db.execute(sql: "PRAGMA synchronous = FULL")
            case .processOnly: try db.execute(sql: "PRAGMA synchronous = OFF")
            }
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
    /// duplicate command is checked before any of its writes and skipped, and reported in its
    /// result, while the others commit.
    ///
    /// - Returns: one result per batch, in order.
    /// - Throws: ``EventLogError/storage(_:)`` when the transaction as a whole fails; then
    ///   nothing at all was written.
    public func commit(group batches: [LogBatch]) throws(EventLogError) -> [Result<[Event], EventLogError>] {
        if batches.isEmpty { return [] }
        let start = head
        let service = self.service
        let known = knownVersions
        do {
            let (results, newHead, versions) = try database.write { db -> ([Result<[Event], EventLogError>], Int64, [String: Int64]) in
                var writer = GroupWriter(db: db, next: start + 1, service: service, known: known)
                var results: [Result<[Event], EventLogError>] = []
                results.reserveCapacity(batches.count)
                for batch in batches {
                    if let refusal = try writer.refusal(batch) {
                        results.append(.failure(refusal))
                    } else {
                        results.append(try writer.write(batch))
                    }
                }
                return (results, writer.next - 1, writer.written)
            }
            head = newHead
            if knownVersions.count + versions.count > Self.knownVersionsLimit { knownVersions.removeAll(keepingCapacity: true) }
            knownVersions.merge(versions) { _, new in new }
            return results
        } catch let error as EventLogError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Writes the batches of one group commit inside its transaction. Every check is made
    /// before a batch's first write, so a refused batch leaves nothing behind without the cost
    /// of a savepoint per batch.
    private struct GroupWriter {
        let db: Database
        var next: Int64
        let service: String
        /// Versions known before this transaction (from the log's cache).
        let known: [String: Int64]
        /// Stream versions and command ids written (or read) in this transaction.
        var versions: [String: Int64] = [:]
        var written: [String: Int64] = [:]
        var commands: Set<String> = []

        init(db: Database, next: Int64, service: String, known: [String: Int64]) {
            self.db = db
            self.next = next
            self.service = service
            self.known = known
        }

        mutating func version(_ stream: String) throws -> Int64 {
            if let version = versions[stream] ?? known[stream] { return version }
            let statement = try db.cachedStatement(sql: "SELECT MAX(version) FROM events WHERE stream = ?")
            let version = try Int64.fetchOne(statement, arguments: [stream]) ?? 0
            versions[stream] = version
            return version
        }

        /// Why the batch must be refused, when that shows before writing it: a version
        /// conflict, or a command repeated within the group. (A command recorded by an earlier
        /// transaction is caught by its insert, the batch's first write.)
        mutating func refusal(_ batch: LogBatch) throws -> EventLogError? {
            var seen: Set<String> = []
            for (index, command) in batch.commands.enumerated() {
                if commands.contains(command.commandID) || !seen.insert(command.commandID).inserted {
                    return .duplicateCommand(command.commandID)
                }
                // Only the first command's insert comes before every other write of the batch.
                if index > 0 {
                    let statement = try db.cachedStatement(sql: "SELECT 1 FROM commands WHERE command_id = ?")
                    if try Int.fetchOne(statement, arguments: [command.commandID]) != nil {
                        return .duplicateCommand(command.commandID)
                    }
                }
            }
            var planned: [String: Int64] = [:]
            for append in batch.appends where !append.events.isEmpty {
                let actual = try planned[append.stream] ?? version(append.stream)
                guard append.expectedVersion.admits(actual) else {
                    return .versionConflict(stream: append.stream, expected: append.expectedVersion, actual: actual)
                }
                planned[append.stream] = actual + Int64(append.events.count)
            }
            return nil
        }

        /// Writes a batch that passed ``refusal(_:)``; a command id already in the log refuses
        /// it at its first write.
        mutating func write(_ batch: LogBatch) throws -> Result<[Event], EventLogError> {
            var events: [Event] = []
            let insertCommand = try db.cachedStatement(sql: "INSERT INTO commands (command_id, reply, time_ms) VALUES (?, ?, ?)")
            for (index, command) in batch.commands.enumerated() {
                do {
                    try insertCommand.execute(arguments: [command.commandID, String(decoding: command.reply, as: UTF8.self), command.timeMs])
                } catch let error as DatabaseError where index == 0 && error.resultCode == .SQLITE_CONSTRAINT {
                    return .failure(.duplicateCommand(command.commandID))
                }
                commands.insert(command.commandID)
            }
            let insertEvent = try db.cachedStatement(sql: """
                INSERT INTO events (seq, stream, version, type, data, correlation_id, causation_id, time_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for append in batch.appends where !append.events.isEmpty {
                var version = try self.version(append.stream)
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
                versions[append.stream] = version
                written[append.stream] = version
            }
            if !batch.snapshots.isEmpty {
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO snapshots (stream, version, seq, data) VALUES (?, ?, ?, ?)
                    ON CONFLICT (stream) DO UPDATE SET version = excluded.version, seq = excluded.seq, data = excluded.data
                    """)
                for snapshot in batch.snapshots {
                    try upsert.execute(arguments: [
                        snapshot.stream, snapshot.version, snapshot.seq, String(decoding: JSONWriter.encode(snapshot.data), as: UTF8.self),
                    ])
                }
            }
            if !batch.offsets.isEmpty {
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO offsets (consumer, position) VALUES (?, ?)
                    ON CONFLICT (consumer) DO UPDATE SET position = excluded.position
                    """)
                for (consumer, position) in batch.offsets { try upsert.execute(arguments: [consumer, position]) }
            }
            return .success(events)
        }
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

    /// The recorded replies of those of `commandIDs` that were processed, by command id: one
    /// query for a whole batch.
    public func replies(forCommands commandIDs: [String]) throws(EventLogError) -> [String: [UInt8]] {
        guard !commandIDs.isEmpty else { return [:] }
        return try read { db in
            var found: [String: [UInt8]] = [:]
            let statement = try db.cachedStatement(sql: "SELECT reply FROM commands WHERE command_id = ?")
            for id in commandIDs {
                if let reply = try String.fetchOne(statement, arguments: [id]) { found[id] = Array(reply.utf8) }
            }
            return found
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

    /// Indexes the log by correlation id, for a process that reads whole sagas often (the
    /// monitor's timelines); without it ``read(correlationID:)`` scans the log.
    public func indexCorrelations() throws(EventLogError) {
        do {
            try database.write { db in try db.execute(sql: "CREATE INDEX IF NOT EXISTS events_by_correlation ON events (correlation_id)") }
        } catch {
            throw .storage("\(error)")
        }
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
            // One thread owns the log: plain reads need no transaction or savepoint.
            return try database.inDatabase(body)
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
