import Foundation
import GRDB
import SagaWire

extension EventLog {
    // MARK: Reading

    /// The reply recorded for a command id, or `nil` when the command was never processed.
    public func reply(forCommand commandID: String) throws(EventLogError) -> [UInt8]? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT reply FROM commands WHERE command_id = ?", arguments: [commandID])
                .map { Array($0.utf8) }
        }
    }

    /// The records of those of `commandIDs` that were processed, by command id: one read for a
    /// whole batch.
    public func records(forCommands commandIDs: [String]) throws(EventLogError) -> [String: StoredCommand] {
        guard !commandIDs.isEmpty else { return [:] }
        return try read { db in
            var found: [String: StoredCommand] = [:]
            let statement = try db.cachedStatement(sql: "SELECT reply, body_hash FROM commands WHERE command_id = ?")
            for id in commandIDs {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    found[id] = StoredCommand(reply: Array((row[0] as String).utf8), bodyHash: row[1])
                }
            }
            return found
        }
    }

    /// Recorded commands in id order, after `id` (`nil`: from the first), at most `limit`: the
    /// id, the recorded reply and when it was processed. A checker pages through them all.
    public func commands(after id: String?, limit: Int) throws(EventLogError) -> [CommandRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT command_id, reply, time_ms FROM commands WHERE command_id > ? ORDER BY command_id LIMIT ?",
                             arguments: [id ?? "", limit])
                .map { CommandRecord(id: $0[0], reply: Array(($0[1] as String).utf8), timeMs: $0[2]) }
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

    /// The events of each of `streams`, in order (a stream without events maps to `[]`): one
    /// query for a whole batch of aggregates to load. With `beforeSeq`, only the events before
    /// that sequence number (a stream as it stood when that event was written).
    public func read(streams: [String], beforeSeq: Int64 = .max) throws(EventLogError) -> [String: [Event]] {
        var result: [String: [Event]] = [:]
        for stream in streams { result[stream] = [] }
        guard !streams.isEmpty else { return result }
        let service = self.service
        try read { db in
            // At most 500 a query (SQLite's bound on variables is far above).
            for chunk in stride(from: 0, to: streams.count, by: 500).map({ Array(streams[$0..<min($0 + 500, streams.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let statement = try db.cachedStatement(
                    sql: "SELECT * FROM events WHERE stream IN (\(marks)) AND seq < ? ORDER BY stream, version")
                var arguments: [(any DatabaseValueConvertible)?] = chunk
                arguments.append(beforeSeq)
                let rows = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
                while let row = try rows.next() {
                    let event = try Self.event(from: row, service: service)
                    result[event.stream, default: []].append(event)
                }
            }
        }
        // A whole stream read tells its version: the commit that appends to it next need not ask.
        if beforeSeq == .max { remember(result.mapValues { $0.last?.version ?? 0 }) }
        return result
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
            throw EventLogError(wrapping: error)
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

    /// When the oldest recorded command was processed (ms since the epoch), if there is one.
    public func oldestCommand() throws(EventLogError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT MIN(time_ms) FROM commands") }
    }

    /// The number of recorded command ids.
    public func commandCount() throws(EventLogError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM commands") ?? 0 }
    }

    /// Checks the log's invariants: sequence numbers 1…head without gaps, and every stream's
    /// versions 1, 2, 3, … in log order.
    public func verify() throws(EventLogError) -> LogVerification {
        let retired = self.retired
        return try read { db in
            var gaps: [ClosedRange<Int64>] = []
            var outOfOrder: Set<String> = []
            var resurrected: [Int64] = []
            var lastVersion: [String: Int64] = [:]
            var expected: Int64 = 1
            var count: Int64 = 0
            // A gap is a gap unless retention removed exactly those sequence numbers.
            func gap(_ range: ClosedRange<Int64>) {
                var low = range.lowerBound
                for removed in retired?.ranges(overlapping: range) ?? [] {
                    if removed.lowerBound > low { gaps.append(low...(removed.lowerBound - 1)) }
                    low = removed.upperBound + 1
                }
                if low <= range.upperBound { gaps.append(low...range.upperBound) }
            }
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, stream, version FROM events ORDER BY seq")
            while let row = try cursor.next() {
                let seq: Int64 = row[0]
                let stream: String = row[1]
                let version: Int64 = row[2]
                if seq != expected { gap(expected...(seq - 1)) }
                if retired?.contains(seq) == true { resurrected.append(seq) }
                expected = seq + 1
                count += 1
                // Versions run 1, 2, 3, …; once retention removed events they need only rise (a
                // stream whose first events were retired starts higher).
                let previous = lastVersion[stream, default: 0]
                if retired == nil ? version != previous + 1 : version <= previous { outOfOrder.insert(stream) }
                lastVersion[stream] = version
            }
            let commands = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM commands") ?? 0
            return LogVerification(events: count, head: expected - 1, sequenceGaps: gaps,
                                   streamsOutOfOrder: outOfOrder.sorted(), commands: commands, retired: retired?.removedCount ?? 0,
                                   resurrected: resurrected)
        }
    }

    /// The value of an SQLite pragma on the log's own connection (`journal_mode`, `synchronous`…),
    /// for diagnostics and tests.
    public func pragma(_ name: String) throws(EventLogError) -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { throw .storage("invalid pragma name \(name)") }
        return try read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

}
