import Foundation
import GRDB
import SagaWire
import ServiceModel

/// One batch of retention: what to remove from a log, and what it counted.
public struct Retirement: Sendable, Equatable {
    /// Streams removed whole (settled aggregates, sagas).
    public var streams: [String] = []
    /// Every event with one of these correlation ids (the monitor's copies of a saga).
    public var correlations: [String] = []
    /// Events of a stream older than a time (the monitor's alerts).
    public var olderEvents: [(stream: String, beforeMs: Int64)] = []
    /// Command records older than this time (ms since the epoch); at most `commandLimit` a batch.
    public var commandsBeforeMs: Int64?
    public var commandLimit = 2000
    /// Read-side writes that go with it (the removed rows' deletes).
    public var writes: [ReadWrite] = []
    /// What the removed events counted, by counter name.
    public var totals: [String: Int64] = [:]
    /// The window's start: everything last active before it may be removed.
    public var throughMs: Int64 = 0

    public init() {}

    /// Whether it removes nothing.
    public var isEmpty: Bool { streams.isEmpty && correlations.isEmpty && olderEvents.isEmpty && commandsBeforeMs == nil }

    public static func == (a: Retirement, b: Retirement) -> Bool {
        a.streams == b.streams && a.correlations == b.correlations && a.olderEvents.map(\.stream) == b.olderEvents.map(\.stream)
            && a.olderEvents.map(\.beforeMs) == b.olderEvents.map(\.beforeMs) && a.commandsBeforeMs == b.commandsBeforeMs
            && a.writes == b.writes && a.totals == b.totals && a.throughMs == b.throughMs
    }
}

extension EventLog {
    /// The stream of the `HistoryRetired` events.
    public static let retiredStream = "$retired"

    /// The events a retirement removes, in log order: to archive them (and count them) first.
    /// The last `HistoryRetired` event, which the next one replaces, is among them when
    /// `withSummary` (an archive needs it, to cover every sequence number; a count does not,
    /// and it is the largest event there).
    public func events(of retirement: Retirement, withSummary: Bool = true) throws(EventLogError) -> [Event] {
        let service = self.service
        let previous = withSummary ? retiredSeq : nil
        return try read { db in
            var rows = try Self.selection(retirement, in: db)
            if let previous, let row = try Row.fetchOne(db, sql: "SELECT * FROM events WHERE seq = ?", arguments: [previous]) {
                rows.append(row)
                rows.sort { ($0["seq"] as Int64) < ($1["seq"] as Int64) }
            }
            return try rows.map { try Self.event(from: $0, service: service) }
        }
    }

    /// Removes what `retirement` names, in one transaction with its read-side writes, and
    /// appends the new, cumulative `HistoryRetired` event (retiring the one before it).
    ///
    /// - Parameter events: what ``events(of:withSummary:)`` returned for it (the host reads them
    ///   first, to archive them and count what they counted; they are not read twice), with or
    ///   without the previous summary: it goes either way. The log's owner is its only writer, so
    ///   nothing joins them in between; should one be gone, nothing is removed.
    /// - Returns: the `HistoryRetired` event appended.
    @discardableResult
    public func retire(_ retirement: Retirement, removing events: [Event], now: Int64) throws(EventLogError) -> Event {
        var history = retired ?? RetiredHistory()
        let start = head
        let service = self.service
        let known = knownVersions
        let statements = readStatements
        var seqs = events.map(\.seq)
        if let previous = retiredSeq, !events.contains(where: { $0.seq == previous }) { seqs.append(previous) }
        let removed = events.filter { $0.stream != Self.retiredStream }
        let removedStreams = Set(removed.map(\.stream))
        // Retention reads the read side to choose what to remove, and deletes its rows here: the
        // read side must show every event first.
        guard projected == start else {
            throw .storage("retirement while the read side is projected only through seq \(projected) of \(start)")
        }
        do {
            let event = try database.write { db -> Event in
                var commands = 0
                if let before = retirement.commandsBeforeMs {
                    try db.execute(sql: """
                        DELETE FROM commands WHERE command_id IN
                            (SELECT command_id FROM commands WHERE time_ms < ? ORDER BY time_ms LIMIT ?)
                        """, arguments: [before, retirement.commandLimit])
                    commands = db.changesCount
                }
                try ReadSide.write(retirement.writes, in: db, using: statements)
                history.add(seqs)
                history.events += Int64(removed.count)
                history.streams += Int64(retirement.streams.count + retirement.correlations.count)
                history.commands += Int64(commands)
                history.throughMs = max(history.throughMs, retirement.throughMs)
                for event in removed where EventDigest.covers(event) {
                    history.digest.add(event)
                    history.digestThrough = max(history.digestThrough, event.seq)
                }
                for (name, value) in retirement.totals { history.totals[name, default: 0] += value }
                // The new HistoryRetired goes in before the previous one goes out, so that its
                // stream's versions keep counting.
                var writer = GroupWriter(db: db, next: start + 1, service: service, known: known, statements: statements)
                let appended = try writer.write(LogBatch(appends: [StreamAppend(
                    stream: Self.retiredStream, expectedVersion: .any,
                    events: [NewEvent(type: "HistoryRetired", data: history.json, timeMs: now)])])).get()
                try writer.flush()
                var deleted = 0
                for chunk in stride(from: 0, to: seqs.count, by: 500).map({ Array(seqs[$0..<min($0 + 500, seqs.count)]) }) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    try db.execute(sql: "DELETE FROM events WHERE seq IN (\(marks))", arguments: StatementArguments(chunk))
                    deleted += db.changesCount
                }
                guard deleted == Set(seqs).count else {
                    throw EventLogError.corrupt("retirement: \(seqs.count) events to remove, \(deleted) found")
                }
                try Self.setProjected(appended[0].seq, in: db)
                return appended[0]
            }
            head = event.seq
            projected = event.seq
            retired = history
            retiredSeq = event.seq
            for stream in removedStreams { knownVersions.removeValue(forKey: stream) }
            remember([Self.retiredStream: event.version])
            return event
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(wrapping: error)
        }
    }

    /// The rows of the events a retirement removes, in log order.
    private static func selection(_ retirement: Retirement, in db: Database) throws -> [Row] {
        var rows: [Row] = []
        func select(_ sql: String, _ values: [String]) throws {
            for chunk in stride(from: 0, to: values.count, by: 500).map({ Array(values[$0..<min($0 + 500, values.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                rows += try Row.fetchAll(db, sql: sql.replacingOccurrences(of: "(?)", with: "(\(marks))"), arguments: StatementArguments(chunk))
            }
        }
        try select("SELECT * FROM events WHERE stream IN (?)", retirement.streams)
        try select("SELECT * FROM events WHERE correlation_id IN (?)", retirement.correlations)
        for (stream, before) in retirement.olderEvents {
            rows += try Row.fetchAll(db, sql: "SELECT * FROM events WHERE stream = ? AND time_ms < ? ORDER BY version LIMIT 5000",
                                     arguments: [stream, before])
        }
        // The sequence number is column 0 of `SELECT *`: read by index, once a row.
        var seen: Set<Int64> = []
        return rows.map { ($0[0] as Int64, $0) }.filter { seen.insert($0.0).inserted }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
