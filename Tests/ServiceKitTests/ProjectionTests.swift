import EventLog
import Foundation
import GRDB
import Logging
import SagaWire
import ServiceModel
import Testing
@testable import HostCore

/// A state whose fold writes the read side: a row per stream (its running total), a count of
/// events and a count of streams (made when a stream's counter is created).
struct Tally: EventSourced, Equatable {
    static let schema = ReadModelSchema([ReadTable("totals", columns: ["total"], indexes: [["total"]])])
    var values: [String: Int64] = [:]

    mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let by = event.data["by"]?.intValue ?? 0
        values[event.stream, default: 0] += by
        let total = values[event.stream]!
        return [.put(table: "totals", key: event.stream, columns: ["total": .int(total)], document: ["total": .int(total)]),
                .count("events", by: 1), .count("stream.\(event.stream)", by: by, onCreate: "streams")]
    }

    func snapshot(stream: String) -> JSON? { values[stream].map { ["value": .int($0)] } }

    mutating func restore(stream: String, snapshot: JSON) throws(DomainError) { values[stream] = snapshot["value"]?.intValue }
}

@Suite struct ProjectionTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("projection-\(UUID().uuidString.prefix(8))")
    var path: String { directory.appendingPathComponent("log.sqlite").path }

    func append(_ stream: String, by: Int64) -> LogBatch {
        LogBatch(appends: [StreamAppend(stream: stream, expectedVersion: .any, events: [NewEvent(type: "Add", data: ["by": .int(by)], timeMs: 0)])])
    }

    func readSide(_ log: EventLog) throws -> (rows: [String: JSON], counters: [String: Int64]) {
        (try log.documents("totals"), try log.counters(prefix: ""))
    }

    /// A reduced batch leaves the tables and counters exactly as every write made in order does.
    @Test func aReducedBatchLeavesWhatEveryWriteInOrderLeaves() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 11)
        for round in 0..<20 {
            let inOrder = try EventLog(path: directory.appendingPathComponent("a\(round).sqlite").path, service: "t", readModel: Tally.schema)
            let reduced = try EventLog(path: directory.appendingPathComponent("b\(round).sqlite").path, service: "t", readModel: Tally.schema)
            // A first event, so that the batch has a position to move to.
            reduced.readSideWrites = .projected
            for log in [inOrder, reduced] { try log.commit(append("x", by: 0)) }
            var batch = ReadSideBatch()
            for _ in 0..<Int(random.next() % 60) {
                let key = "k\(random.next() % 6)"
                let write: ReadWrite
                switch random.next() % 4 {
                case 0: write = .delete(table: "totals", key: key)
                case 1: write = .count("c\(random.next() % 3)", by: Int64(random.next() % 7) - 3, onCreate: random.next() % 2 == 0 ? "made" : nil)
                default:
                    let total = Int64(random.next() % 100)
                    write = .put(table: "totals", key: key, columns: ["total": .int(total)], document: ["total": .int(total), "r": .int(Int64(round))])
                }
                try inOrder.commit(LogBatch(writes: [write]))
                batch.add([write])
            }
            try reduced.project(batch, through: 1)
            let (a, b) = (try readSide(inOrder), try readSide(reduced))
            #expect(a.rows == b.rows, "round \(round)")
            #expect(a.counters == b.counters, "round \(round)")
            #expect(reduced.projected == 1)
        }
    }

    /// The position only moves forward and never past the head; a projected log's commits carry
    /// no read-side writes; retention waits for the projection.
    @Test func thePositionGuardsTheReadSide() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(path: path, service: "t", readModel: Tally.schema)
        #expect(log.projected == 0)
        log.readSideWrites = .projected
        try log.commit(append("a", by: 1))
        try log.commit(append("a", by: 2))
        #expect(log.projected == 0)
        var state = Tally()
        var batch = ReadSideBatch()
        for event in try log.read(from: 1, limit: 10) { batch.add(try state.apply(event)) }
        #expect(throws: EventLogError.self) { try log.project(batch, through: 3) }
        try log.project(batch, through: 2)
        #expect(log.projected == 2)
        // The same batch again: it would count its events twice.
        #expect(throws: EventLogError.self) { try log.project(batch, through: 2) }
        #expect(try log.counter("events") == 2)
        #expect(throws: EventLogError.self) { try log.commit(LogBatch(writes: [.count("events", by: 1)])) }
        try log.commit(append("b", by: 1))
        var retirement = Retirement()
        retirement.streams = ["a"]
        let events = try log.events(of: retirement)
        #expect(throws: EventLogError.self) { try log.retire(retirement, removing: events, now: 1) }
        try log.project(ReadSideBatch(), through: 3)
        try log.retire(retirement, removing: events, now: 1)
        #expect(log.projected == log.head)
        // The position is durable.
        let reopened = try EventLog(path: path, service: "t", readModel: Tally.schema)
        #expect(reopened.projected == reopened.head)
    }

    /// A process that dies with committed events not yet projected (and checkpoints written in
    /// between) is caught up by its restart: the read side is the fold of every event.
    @Test func aRestartProjectsWhatTheLastLifeCommittedAndDidNotProject() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "test")
        var random = SplitMix64(seed: 5)
        var expected = Tally()
        var caughtUp = 0
        for life in 0..<8 {
            let log = try EventLog(path: path, service: "t", readModel: Tally.schema)
            var committer = Committer(log: log, metrics: HostMetrics(service: "t"), snapshotEvery: 5)
            var state = Tally()
            let report = try committer.recover(&state)
            #expect(state == expected, "life \(life)")
            #expect(log.projected == log.head, "life \(life): recovery leaves the read side at the head")
            if report.projected > 0 { caughtUp += 1 }
            let verification = try StateVerification.verify(log, Tally())
            #expect(verification.problems.isEmpty, "life \(life): \(verification.problems)")
            var faults = FaultInjector()
            for _ in 0..<Int(random.next() % 20) + 1 {
                var batch = append("s\(random.next() % 4)", by: Int64(random.next() % 9) + 1)
                let head = log.head
                var writes: [ReadWrite] = []
                for append in batch.appends {
                    for (offset, new) in append.events.enumerated() {
                        let event = Event(seq: head + Int64(offset) + 1, stream: append.stream, version: 0, type: new.type, data: new.data,
                                          metadata: EventMetadata(service: "t", timeMs: 0))
                        writes += try state.apply(event)
                        _ = try expected.apply(event)
                    }
                }
                batch.writes = writes
                let committed = try committer.commit([batch], faults: &faults).flatMap { $0 }
                try committer.committed(committed, of: state, faults: &faults, logger: logger) { _ in }
                if random.next() % 7 == 0 { try committer.project(faults: &faults) }
            }
            // The life ends without projecting what is left: a kill.
        }
        #expect(caughtUp > 0)
    }

    /// The verifier compares the read side with the fold up to the position, so a position
    /// moved ahead of its rows, or a batch written twice, shows.
    @Test func forgedPositionsAndDoubledBatchesAreFound() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(path: path, service: "t", readModel: Tally.schema)
        var committer = Committer(log: log, metrics: HostMetrics(service: "t"), snapshotEvery: 0)
        var state = Tally()
        _ = try committer.recover(&state)
        var faults = FaultInjector()
        for index in 1...6 {
            var batch = append("s\(index % 2)", by: Int64(index))
            batch.writes = try state.apply(Event(seq: Int64(index), stream: "s\(index % 2)", version: 0, type: "Add", data: ["by": .int(Int64(index))],
                                                 metadata: EventMetadata(service: "t", timeMs: 0)))
            _ = try committer.commit([batch], faults: &faults)
            if index == 3 { try committer.project(faults: &faults) }
        }
        #expect(log.projected == 3)
        #expect(try StateVerification.verify(log, Tally()).problems.isEmpty)
        let queue = try DatabaseQueue(path: path)
        // The position moved to the head, the rows not.
        try queue.write { try $0.execute(sql: "UPDATE projection SET seq = 6") }
        let ahead = try StateVerification.verify(try EventLog(path: path, service: "t", readModel: Tally.schema), Tally())
        #expect(!ahead.problems.isEmpty)
        #expect(ahead.projectedThrough == 6)
        // Back at 3, and the first batch's counters written a second time.
        try queue.write { db in
            try db.execute(sql: "UPDATE projection SET seq = 3")
            try db.execute(sql: "UPDATE counters SET value = value * 2")
        }
        let doubled = try StateVerification.verify(try EventLog(path: path, service: "t", readModel: Tally.schema), Tally())
        #expect(doubled.problems.contains { $0.contains("counter events") }, "\(doubled.problems)")
    }

    /// `mid-projection` rolls the batch back: the position and the rows stay where they were.
    @Test func aCrashInsideAProjectionBatchLeavesNothingOfIt() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(path: path, service: "t", readModel: Tally.schema)
        var committer = Committer(log: log, metrics: HostMetrics(service: "t"), snapshotEvery: 0)
        var state = Tally()
        _ = try committer.recover(&state)
        var faults = FaultInjector(try FaultSpec.parse("crash=mid-projection:1"))
        var batch = append("a", by: 4)
        batch.writes = try state.apply(Event(seq: 1, stream: "a", version: 1, type: "Add", data: ["by": 4], metadata: EventMetadata(service: "t", timeMs: 0)))
        var noFaults = FaultInjector()
        _ = try committer.commit([batch], faults: &noFaults)
        #expect(throws: InjectedCrash(point: .midProjection)) { try committer.project(faults: &faults) }
        let reopened = try EventLog(path: path, service: "t", readModel: Tally.schema)
        #expect(reopened.projected == 0)
        #expect(try reopened.counter("events") == 0)
        #expect(try reopened.documents("totals").isEmpty)
    }
}
