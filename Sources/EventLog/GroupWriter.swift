import Foundation
import GRDB
import SagaWire
import ServiceModel

/// Writes the batches of one group commit inside its transaction. Every check is made
/// before a batch's first write, so a refused batch leaves nothing behind without the cost
/// of a savepoint per batch.
struct GroupWriter {
    let db: Database
    var next: Int64
    let service: String
    /// Versions known before this transaction (from the log's cache).
    let known: [String: Int64]
    let statements: ReadSideStatements
    /// Stream versions and command ids written (or read) in this transaction.
    var versions: [String: Int64] = [:]
    var written: [String: Int64] = [:]
    var commands: Set<String> = []
    /// Counter deltas of the whole group, written once at the end (one statement a counter, not
    /// one an event), with the counter each one counts on its creation.
    var counts: [String: (delta: Int64, onCreate: String?)] = [:]

    init(db: Database, next: Int64, service: String, known: [String: Int64], statements: ReadSideStatements) {
        self.db = db
        self.statements = statements
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
            guard append.expectedVersion.admits(actual), (append.firstVersion ?? actual + 1) > actual else {
                return .versionConflict(stream: append.stream, expected: append.firstVersion.map { .exact($0 - 1) } ?? append.expectedVersion,
                                        actual: actual)
            }
            planned[append.stream] = (append.firstVersion.map { $0 - 1 } ?? actual) + Int64(append.events.count)
        }
        return nil
    }

    /// Writes a batch that passed ``refusal(_:)``; a command id already in the log refuses
    /// it at its first write.
    mutating func write(_ batch: LogBatch) throws -> Result<[Event], EventLogError> {
        var events: [Event] = []
        let insertCommand = try db.cachedStatement(sql: "INSERT INTO commands (command_id, reply, time_ms, body_hash) VALUES (?, ?, ?, ?)")
        for (index, command) in batch.commands.enumerated() {
            do {
                try insertCommand.execute(arguments: [command.commandID, String(decoding: command.reply, as: UTF8.self), command.timeMs,
                                                      command.bodyHash])
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
            var version = try append.firstVersion.map { $0 - 1 } ?? self.version(append.stream)
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
        if !batch.droppedSnapshots.isEmpty {
            let delete = try db.cachedStatement(sql: "DELETE FROM snapshots WHERE stream = ?")
            for stream in batch.droppedSnapshots { try delete.execute(arguments: [stream]) }
        }
        var writes: [ReadWrite] = []
        writes.reserveCapacity(batch.writes.count)
        for change in batch.writes {
            if case .count(let name, let delta, let onCreate) = change {
                counts[name, default: (0, onCreate)].delta += delta
            } else {
                writes.append(change)
            }
        }
        try ReadSide.write(writes, in: db, using: statements)
        if !batch.offsets.isEmpty {
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO offsets (consumer, position) VALUES (?, ?)
                ON CONFLICT (consumer) DO UPDATE SET position = excluded.position
                """)
            for (consumer, position) in batch.offsets { try upsert.execute(arguments: [consumer, position]) }
        }
        return .success(events)
    }

    /// Writes the group's counter deltas; the transaction's last writes.
    mutating func flush() throws {
        try ReadSide.write(counts.sorted { $0.key < $1.key }.map { .count($0.key, by: $0.value.delta, onCreate: $0.value.onCreate) }, in: db, using: statements)
        counts.removeAll()
    }
}

