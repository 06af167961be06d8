import Foundation
import GRDB
import SagaWire
import Testing
import TestSupport
@testable import EventLog

/// A log in a fresh temp directory, removed when the test ends.
final class LogFixture {
    let directory: TempDirectory
    var log: EventLog
    var path: String { directory.file("log.sqlite") }

    init(service: String = "order") throws {
        directory = try TempDirectory("eventlog")
        log = try EventLog(path: directory.file("log.sqlite"), service: service)
    }

    func reopen(service: String = "order") throws {
        log = try EventLog(path: path, service: service)
    }

    deinit { directory.remove() }
}

func event(_ type: String, _ data: JSON = [:], saga: String? = "saga-1", command: String? = "cmd-1", at time: Int64 = 1000) -> NewEvent {
    NewEvent(type: type, data: data, correlationID: saga, causationID: command, timeMs: time)
}

@Suite struct EventLogTests {
    @Test func appendAssignsGapFreeSequenceAndStreamVersions() throws {
        let f = try LogFixture()
        let first = try f.log.commit(LogBatch(appends: [
            StreamAppend(stream: "order-1", expectedVersion: .noStream, events: [event("OrderCreated", ["total": 1250])]),
            StreamAppend(stream: "order-2", expectedVersion: .noStream, events: [event("OrderCreated"), event("OrderConfirmed")]),
        ]))
        #expect(first.map(\.seq) == [1, 2, 3])
        #expect(first.map(\.version) == [1, 1, 2])
        #expect(first[0].metadata == EventMetadata(correlationID: "saga-1", causationID: "cmd-1", service: "order", timeMs: 1000))
        let second = try f.log.commit(LogBatch(appends: [
            StreamAppend(stream: "order-1", expectedVersion: .exact(1), events: [event("OrderConfirmed")]),
        ]))
        #expect(second.map(\.seq) == [4])
        #expect(second[0].version == 2)
        #expect(f.log.head == 4)
        #expect(try f.log.version(ofStream: "order-1") == 2)
        #expect(try f.log.version(ofStream: "nope") == 0)
        #expect(try f.log.read(stream: "order-1").map(\.type) == ["OrderCreated", "OrderConfirmed"])
        #expect(try f.log.read(stream: "order-1")[0].data == ["total": 1250])
        #expect(try f.log.read(stream: "order-2", fromVersion: 2).map(\.seq) == [3])
        #expect(try f.log.read(correlationID: "saga-1").map(\.seq) == [1, 2, 3, 4])
    }

    @Test func versionConflictIsTypedAndWritesNothing() throws {
        let f = try LogFixture()
        try f.log.commit(LogBatch(appends: [StreamAppend(stream: "s", expectedVersion: .any, events: [event("A")])]))
        let conflicting = LogBatch(
            appends: [
                StreamAppend(stream: "other", expectedVersion: .noStream, events: [event("B")]),
                StreamAppend(stream: "s", expectedVersion: .exact(5), events: [event("C")]),
            ],
            commands: [ProcessedCommand(commandID: "cmd-x", reply: Array("{}".utf8), timeMs: 1)],
            offsets: ["consumer": 9])
        #expect(throws: EventLogError.versionConflict(stream: "s", expected: .exact(5), actual: 1)) {
            try f.log.commit(conflicting)
        }
        #expect(throws: EventLogError.versionConflict(stream: "s", expected: .noStream, actual: 1)) {
            try f.log.commit(LogBatch(appends: [StreamAppend(stream: "s", expectedVersion: .noStream, events: [event("D")])]))
        }
        // Nothing of the refused batches was written: not the other stream, the command or the offset.
        #expect(f.log.head == 1)
        #expect(try f.log.version(ofStream: "other") == 0)
        #expect(try f.log.reply(forCommand: "cmd-x") == nil)
        #expect(try f.log.offset(consumer: "consumer") == nil)
        try f.reopen()
        #expect(f.log.head == 1)
        #expect(try f.log.verify().isClean)
    }

    @Test func processedCommandsReturnTheirReplyAndCannotBeRecordedTwice() throws {
        let f = try LogFixture()
        let reply = Array(#"{"kind":"reply","outcome":"ok"}"#.utf8)
        try f.log.commit(LogBatch(
            appends: [StreamAppend(stream: "order-1", expectedVersion: .noStream, events: [event("OrderCreated")])],
            commands: [ProcessedCommand(commandID: "saga-1/0/action", reply: reply, timeMs: 5)]))
        #expect(try f.log.reply(forCommand: "saga-1/0/action") == reply)
        #expect(try f.log.reply(forCommand: "saga-1/1/action") == nil)
        #expect(throws: EventLogError.duplicateCommand("saga-1/0/action")) {
            try f.log.commit(LogBatch(
                appends: [StreamAppend(stream: "order-1", expectedVersion: .any, events: [event("OrderCreated")])],
                commands: [ProcessedCommand(commandID: "saga-1/0/action", reply: [], timeMs: 6)]))
        }
        #expect(f.log.head == 1)
        #expect(try f.log.commandCount() == 1)
        try f.reopen()
        #expect(try f.log.reply(forCommand: "saga-1/0/action") == reply)
    }

    @Test func groupCommitKeepsEachBatchAtomicAndTheSequenceGapFree() throws {
        let f = try LogFixture()
        let results = try f.log.commit(group: [
            LogBatch(appends: [StreamAppend(stream: "a", expectedVersion: .noStream, events: [event("A1"), event("A2")])]),
            LogBatch(appends: [
                StreamAppend(stream: "b", expectedVersion: .noStream, events: [event("B1")]),
                StreamAppend(stream: "a", expectedVersion: .noStream, events: [event("A-again")]),
            ]),
            LogBatch(appends: [StreamAppend(stream: "a", expectedVersion: .exact(2), events: [event("A3")])],
                     commands: [ProcessedCommand(commandID: "c3", reply: [1], timeMs: 0)]),
            LogBatch(commands: [ProcessedCommand(commandID: "c3", reply: [2], timeMs: 0)]),
        ])
        #expect(try results[0].get().map(\.seq) == [1, 2])
        #expect(throws: EventLogError.versionConflict(stream: "a", expected: .noStream, actual: 2)) { try results[1].get() }
        // The refused batch's sequence numbers are reused: no gap.
        #expect(try results[2].get().map(\.seq) == [3])
        #expect(try results[2].get()[0].version == 3)
        #expect(throws: EventLogError.duplicateCommand("c3")) { try results[3].get() }
        #expect(try f.log.version(ofStream: "b") == 0)
        #expect(f.log.head == 3)
        #expect(try f.log.commit(group: []).isEmpty)
        let verification = try f.log.verify()
        #expect(verification == LogVerification(events: 3, head: 3, sequenceGaps: [], streamsOutOfOrder: [], commands: 1))
    }

    @Test func readingFromASequenceIsOrderedAndGapFree() throws {
        let f = try LogFixture()
        var rng = SystemRandomNumberGenerator()
        var batches: [LogBatch] = []
        for i in 0..<200 {
            let count = Int.random(in: 1...4, using: &rng)
            batches.append(LogBatch(appends: [StreamAppend(
                stream: "s\(i % 17)", expectedVersion: .any,
                events: (0..<count).map { event("E", ["i": .int(Int64(i)), "j": .int(Int64($0))]) })]))
        }
        for chunk in stride(from: 0, to: batches.count, by: 25) {
            _ = try f.log.commit(group: Array(batches[chunk..<min(chunk + 25, batches.count)]))
        }
        let head = f.log.head
        var seen: [Int64] = []
        var from: Int64 = 1
        while true {
            let page = try f.log.read(from: from, limit: 37)
            if page.isEmpty { break }
            seen += page.map(\.seq)
            from = page.last!.seq + 1
        }
        #expect(seen == Array(1...head))
        #expect(try f.log.read(from: head + 1, limit: 10).isEmpty)
        var streamed: [Int64] = []
        try f.log.forEachEvent(from: 100) { streamed.append($0.seq) }
        #expect(streamed == Array(100...head))
        #expect(try f.log.verify().isClean)
    }

    @Test func snapshotsAndOffsetsPersistAndReplace() throws {
        let f = try LogFixture()
        try f.log.commit(LogBatch(snapshots: [Snapshot(stream: "$state", version: 3, seq: 10, data: ["orders": 3])],
                                  offsets: ["monitor/order": 10, "orchestrator/payment": 4]))
        try f.log.commit(LogBatch(snapshots: [Snapshot(stream: "$state", version: 5, seq: 20, data: ["orders": 5])],
                                  offsets: ["monitor/order": 20]))
        try f.reopen()
        #expect(try f.log.snapshot(stream: "$state") == Snapshot(stream: "$state", version: 5, seq: 20, data: ["orders": 5]))
        #expect(try f.log.snapshot(stream: "missing") == nil)
        #expect(try f.log.snapshots().count == 1)
        #expect(try f.log.offset(consumer: "monitor/order") == 20)
        #expect(try f.log.offsets() == ["monitor/order": 20, "orchestrator/payment": 4])
    }

    @Test func reopeningRestoresHeadAndRefusesAnotherServicesLog() throws {
        let f = try LogFixture()
        try f.log.commit(LogBatch(appends: [StreamAppend(stream: "x", expectedVersion: .any, events: [event("A"), event("B")])]))
        try f.reopen()
        #expect(f.log.head == 2)
        #expect(throws: EventLogError.wrongService(expected: "payment", found: "order")) {
            try EventLog(path: f.path, service: "payment")
        }
        let inspected = try EventLog(existingAt: f.path)
        #expect(inspected.service == "order")
        #expect(throws: EventLogError.self) { try EventLog(existingAt: f.directory.file("none.sqlite")) }
    }

    @Test func usesWALWithSynchronousCommits() throws {
        let f = try LogFixture()
        try f.log.commit(LogBatch(appends: [StreamAppend(stream: "x", expectedVersion: .any, events: [event("A")])]))
        let queue = try DatabaseQueue(path: f.path)
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(FileManager.default.fileExists(atPath: f.path + "-wal"))
        // 2 is FULL: the WAL is synced at every commit.
        #expect(try f.log.pragma("synchronous") == "2")
        #expect(try f.log.pragma("journal_mode") == "wal")
    }

    @Test func verifyFindsGapsAndStreamsOutOfOrder() throws {
        let f = try LogFixture()
        try f.log.commit(LogBatch(appends: [StreamAppend(stream: "x", expectedVersion: .any, events: [event("A"), event("B"), event("C")])]))
        // Damage the file behind the log's back, as a bug or a bad restore would.
        let queue = try DatabaseQueue(path: f.path)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM events WHERE seq = 2")
            try db.execute(sql: "INSERT INTO events (seq, stream, version, type, data, time_ms) VALUES (7, 'y', 2, 'Z', '{}', 0)")
            try db.execute(sql: "INSERT INTO events (seq, stream, version, type, data, time_ms) VALUES (8, 'w', 1, 'Z', 'not json', 0)")
        }
        try queue.close()
        try f.reopen()
        let report = try f.log.verify()
        #expect(report.sequenceGaps == [2...2, 4...6])
        #expect(report.streamsOutOfOrder == ["x", "y"])
        #expect(!report.isClean)
        #expect(throws: EventLogError.self) { try f.log.read(from: 8, limit: 1) }
    }
}
