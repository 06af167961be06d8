import Foundation
import GRDB
import SagaWire
import ServiceModel

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
    let database: DatabaseQueue
    /// The read model's write statements.
    let readStatements: ReadSideStatements
    /// The sequence number of the last committed event (0 for an empty log).
    public internal(set) var head: Int64
    /// Whether opening the log created read-side tables (a log written before them has a read
    /// side to rebuild from its events).
    public private(set) var readSideIsNew = false
    /// The sequence number up to which the read side (tables and counters) has been written
    /// from the events: the projection's position. Rows and counters show exactly the events up
    /// to it. Kept in the same transaction as what moves it.
    public internal(set) var projected: Int64 = 0
    /// How this log's read-side writes reach it (``ReadSideWrites``).
    public var readSideWrites: ReadSideWrites = .inCommit
    /// Versions of recently written streams. The process is the log's only writer, so a version
    /// it wrote stays true; bounded, and a miss just asks SQLite.
    var knownVersions: [String: Int64] = [:]
    static let knownVersionsLimit = 50_000
    /// What retention removed so far (from the last `HistoryRetired` event); `nil` before any.
    public internal(set) var retired: RetiredHistory?
    /// The sequence number of the event that carries ``retired``.
    var retiredSeq: Int64?

    /// How much of a commit survives what.
    public enum Durability: Sendable {
        /// Every commit is synced to disk before it returns: it survives a crash of the process
        /// and of the machine. What every process runs with.
        case synchronous
        /// WAL with `synchronous=NORMAL`: a commit survives a crash of the process, and the
        /// database stays consistent through a power loss, which may lose the last commits (the
        /// WAL is synced at its checkpoints, not at every commit). For a log whose content can
        /// be fetched again, the monitor's: a replay restores what a power loss took.
        case replayable
        /// Commits are not synced: they survive the process (the next connection sees them),
        /// not the machine. For simulations and embedded tests that crash an engine without
        /// losing the machine, where thousands of commits a second matter.
        case processOnly
    }

    /// Opens (creating if needed) the log at `path` for `service`.
    ///
    /// - Throws: ``EventLogError/wrongService(expected:found:)`` when the file belongs to another
    ///   service, ``EventLogError/storage(_:)`` when SQLite cannot open it.
    public init(path: String, service: String, durability: Durability = .synchronous,
                readModel: ReadModelSchema = .none) throws(EventLogError) {
        self.service = service
        self.path = path
        self.readStatements = ReadSideStatements(readModel)
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
            // 16 MiB of page cache (SQLite's default is 2 MiB): the read side's indexes are
            // written at random keys, and a commit should find their pages in memory.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            switch durability {
            case .synchronous: try db.execute(sql: "PRAGMA synchronous = FULL")
            case .replayable: try db.execute(sql: "PRAGMA synchronous = NORMAL")
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
            readSideIsNew = try database.write { db in try ReadSide.create(readModel, in: db) }
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
            projected = try database.write { db -> Int64 in
                // A read side created just now over existing events has projected none of them.
                if readSideIsNew { try db.execute(sql: "UPDATE projection SET seq = 0 WHERE name = 'read_side'") }
                return try Int64.fetchOne(db, sql: "SELECT seq FROM projection WHERE name = 'read_side'") ?? 0
            }
            let last = try database.read { db in
                try Row.fetchOne(db, sql: "SELECT seq, data FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1",
                                 arguments: [Self.retiredStream])
            }
            if let last {
                retiredSeq = last["seq"]
                retired = try RetiredHistory(json: try Self.parseStored(last["data"], "the last HistoryRetired event"))
            }
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(wrapping: error)
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
            throw EventLogError(wrapping: error)
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
        if readSideWrites == .projected, batches.contains(where: { !$0.writes.isEmpty }) {
            throw .storage("a commit carries read-side writes, but this log's read side is projected (EventLog.project)")
        }
        let start = head
        let projects = readSideWrites == .inCommit && projected == start
        let service = self.service
        let known = knownVersions
        let statements = readStatements
        do {
            let (results, newHead, versions) = try database.write { db -> ([Result<[Event], EventLogError>], Int64, [String: Int64]) in
                var writer = GroupWriter(db: db, next: start + 1, service: service, known: known, statements: statements)
                var results: [Result<[Event], EventLogError>] = []
                results.reserveCapacity(batches.count)
                for batch in batches {
                    if let refusal = try writer.refusal(batch) {
                        results.append(.failure(refusal))
                    } else {
                        results.append(try writer.write(batch))
                    }
                }
                try writer.flush()
                if projects && writer.next - 1 != start { try Self.setProjected(writer.next - 1, in: db) }
                return (results, writer.next - 1, writer.written)
            }
            head = newHead
            if projects { projected = newHead }
            remember(versions)
            return results
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(wrapping: error)
        }
    }

    /// Notes the versions a transaction wrote (bounded: past the limit the cache starts over).
    func remember(_ versions: [String: Int64]) {
        if knownVersions.count + versions.count > Self.knownVersionsLimit { knownVersions.removeAll(keepingCapacity: true) }
        knownVersions.merge(versions) { _, new in new }
    }

    static func streamVersion(_ stream: String, in db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(sql: "SELECT MAX(version) FROM events WHERE stream = ?")
        return try Int64.fetchOne(statement, arguments: [stream]) ?? 0
    }

    // MARK: Helpers

    func read<T>(_ body: (Database) throws -> T) throws(EventLogError) -> T {
        do {
            // One thread owns the log: plain reads need no transaction or savepoint.
            return try database.inDatabase(body)
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(wrapping: error)
        }
    }

    func readEvents(sql: String, arguments: StatementArguments) throws(EventLogError) -> [Event] {
        let service = self.service
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { try Self.event(from: $0, service: service) }
        }
    }

    static let storedLimits = JSONParser.Limits(maxDepth: 64, maxStringBytes: 16 << 20)

    static func parseStored(_ text: String, _ what: @autoclosure () -> String) throws -> JSON {
        do {
            return try JSONParser.parse(Array(text.utf8), limits: storedLimits)
        } catch {
            throw EventLogError.corrupt("\(what()): \(error)")
        }
    }

    static func event(from row: Row, service: String) throws -> Event {
        let seq: Int64 = row["seq"]
        return Event(
            seq: seq, stream: row["stream"], version: row["version"], type: row["type"],
            data: try parseStored(row["data"], "data of event \(seq)"),
            metadata: EventMetadata(correlationID: row["correlation_id"], causationID: row["causation_id"],
                                    service: service, timeMs: row["time_ms"]))
    }

    static func snapshot(from row: Row) throws -> Snapshot {
        let stream: String = row["stream"]
        return Snapshot(stream: stream, version: row["version"], seq: row["seq"],
                        data: try parseStored(row["data"], "snapshot of \(stream)"))
    }
}
