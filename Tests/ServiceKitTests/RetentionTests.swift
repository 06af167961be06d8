import EventLog
import GRDB
import Foundation
import SagaWire
import ServiceModel
import Testing
@testable import HostCore
@testable import ServiceKit

@Suite struct RetentionUnitTests {
    @Test func windowsParsePrintAndRefuseNonsense() {
        #expect(RetentionWindow(argument: "7d")?.milliseconds == 604_800_000)
        #expect(RetentionWindow(argument: "12h")?.milliseconds == 43_200_000)
        #expect(RetentionWindow(argument: "30m")?.description == "30m")
        #expect(RetentionWindow(argument: "90s")?.description == "90s")
        #expect(RetentionWindow(argument: "250ms")?.milliseconds == 250)
        #expect(RetentionWindow(argument: "off") == .off)
        #expect(RetentionWindow(argument: "0") == .off && !RetentionWindow.off.isOn)
        for bad in ["", "7", "-1d", "1w", "d", "1.5h", "99999999999999999d"] { #expect(RetentionWindow(argument: bad) == nil, "\(bad)") }
        #expect(RetentionWindow.standard.description == "7d")
    }

    @Test func aCommandOfASagaOlderThanTheWindowIsExpiredAndNothingElseIs() {
        let window = RetentionWindow(milliseconds: 60_000)
        let now: Int64 = 10_000_000
        func command(_ id: String, started: Int64?) -> Command {
            var body: JSONObject = ["order_id": "o1"]
            if let started { body["saga_started_ms"] = .int(started) }
            return Command(id: id, type: "payment.ChargePayment", correlationID: "s1", body: .object(body))
        }
        let old = window.refusal(of: command("s1/2/action", started: now - 60_001), now: now)
        #expect(old?.code == .expired)
        #expect(old?.field == "body.saga_started_ms")
        #expect(window.refusal(of: command("s1/2/action", started: now - 60_000), now: now) == nil, "the window's first ms is in it")
        #expect(window.refusal(of: command("s1/2/compensation/r1", started: now - 3_600_000), now: now)?.code == .expired)
        #expect(window.refusal(of: command("s1/2/action", started: nil), now: now) == nil, "not sent by an orchestrator")
        #expect(window.refusal(of: command("manual-refund", started: now - 3_600_000), now: now) == nil, "not a saga's command")
        #expect(RetentionWindow.off.refusal(of: command("s1/2/action", started: 0), now: now) == nil)
    }

    @Test func retiredRangesMergeAndAnswerMembership() throws {
        var history = RetiredHistory()
        history.add([5, 3, 4, 9])
        history.add([10, 1])
        history.add([2, 20])
        #expect(history.ranges == [1...5, 9...10, 20...20])
        #expect(history.contains(3) && history.contains(10) && history.contains(20))
        #expect(!history.contains(6) && !history.contains(0) && !history.contains(21))
        #expect(history.ranges(overlapping: 4...9) == [4...5, 9...9])
        #expect(history.removedCount == 8)
        let decoded = try RetiredHistory(json: history.json)
        #expect(decoded == history)
    }

    /// Retention planning over a real log: settled rows older than the window, oldest first, at
    /// most a batch; a retirement removes their streams, the stale command records and the rows,
    /// keeps the log verifiable (the removed sequence numbers are named, not gaps), and counts.
    @Test func planningFindsSettledRowsOlderThanTheWindowAndRetirementKeepsTheLogVerifiable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = ReadModelSchema([ReadTable("things", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]])])
        let log = try EventLog(path: directory.appendingPathComponent("log.sqlite").path, service: "test", readModel: schema)
        // Ten things, one a millisecond; even ones settled.
        for index in 0..<10 {
            let status = index % 2 == 0 ? "done" : "busy"
            try log.commit(LogBatch(
                appends: [StreamAppend(stream: "thing-\(index)", expectedVersion: .noStream,
                                       events: [NewEvent(type: "Made", data: ["n": .int(Int64(index))], timeMs: Int64(1000 + index))])],
                commands: [ProcessedCommand(commandID: "c\(index)", reply: [], timeMs: Int64(1000 + index))],
                writes: [.put(table: "things", key: "\(index)", columns: ["status": .text(status), "updated_ms": .int(Int64(1000 + index))],
                              document: ["n": .int(Int64(index))]), .count("things.made", by: 1)]))
        }
        var retainer = Retainer(settings: RetentionSettings(window: RetentionWindow(milliseconds: 1)),
                                rules: [RetentionRule(table: "things", settledStatuses: ["done"], streamPrefix: "thing-")])
        retainer.batchLimit = 2
        #expect(try retainer.candidates(log, through: 1000).isEmpty, "nothing is older than the window's start")
        let batch = try retainer.candidates(log, through: 1005)
        #expect(batch.map(\.stream) == ["thing-0", "thing-2"], "the oldest settled ones, a batch at most")
        var retirement = Retirement()
        retirement.streams = batch.map(\.stream)
        retirement.writes = batch.map { .delete(table: $0.table, key: $0.key) }
        retirement.commandsBeforeMs = 1005
        retirement.totals = ["things.made": 2]
        retirement.throughMs = 1005
        #expect(try log.events(of: retirement).map(\.stream) == ["thing-0", "thing-2"])
        let summary = try log.retire(retirement, removing: log.events(of: retirement), now: 2000)
        #expect(summary.type == "HistoryRetired" && summary.seq == 11)
        #expect(log.retired?.ranges == [1...1, 3...3])
        #expect(log.retired?.commands == 5)
        #expect(log.retired?.totals == ["things.made": 2])
        #expect(try log.read(streams: ["thing-0", "thing-1"]).mapValues(\.count) == ["thing-0": 0, "thing-1": 1])
        #expect(try log.document("things", key: "0") == nil && log.document("things", key: "1") != nil)
        #expect(try log.counter("things.made") == 10, "the running total counts everything that ever happened")
        #expect(try log.verify().isClean)
        // The next batch retires the summary before it too, and the log reopens as it was.
        #expect(try retainer.candidates(log, through: 1005).isEmpty == false)
        retirement.streams = ["thing-4"]
        retirement.writes = [.delete(table: "things", key: "4")]
        retirement.totals = ["things.made": 1]
        try log.retire(retirement, removing: log.events(of: retirement), now: 2001)
        #expect(log.retired?.ranges == [1...1, 3...3, 5...5, 11...11])
        #expect(log.retired?.totals == ["things.made": 3])
        let reopened = try EventLog(path: log.path, service: "test", readModel: schema)
        #expect(reopened.retired == log.retired)
        #expect(try reopened.verify().isClean)
        #expect(try reopened.verify().retired == 4)
    }

    /// A batch takes the oldest settled rows whatever their status, so the removed sequence
    /// numbers stay in a few ranges: status by status, the retired "done" rows would leave every
    /// "gone" one between them, a range each.
    @Test func aBatchIsTheOldestOverEverySettledStatus() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = ReadModelSchema([ReadTable("things", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]])])
        let log = try EventLog(path: directory.appendingPathComponent("log.sqlite").path, service: "test", readModel: schema)
        for index in 0..<8 {
            try log.commit(LogBatch(
                appends: [StreamAppend(stream: "thing-\(index)", expectedVersion: .noStream,
                                       events: [NewEvent(type: "Made", data: [:], timeMs: Int64(1000 + index))])],
                writes: [.put(table: "things", key: "\(index)", columns: ["status": .text(index % 2 == 0 ? "done" : "gone"),
                                                                      "updated_ms": .int(Int64(1000 + index))], document: [:])]))
        }
        var retainer = Retainer(settings: RetentionSettings(window: RetentionWindow(milliseconds: 1)),
                                rules: [RetentionRule(table: "things", settledStatuses: ["done", "gone"], streamPrefix: "thing-")])
        retainer.batchLimit = 4
        let batch = try retainer.candidates(log, through: 2000)
        #expect(batch.map(\.stream) == ["thing-0", "thing-1", "thing-2", "thing-3"])
        var retirement = Retirement()
        retirement.streams = batch.map(\.stream)
        retirement.writes = batch.map { .delete(table: $0.table, key: $0.key) }
        try log.retire(retirement, removing: log.events(of: retirement), now: 3000)
        #expect(log.retired?.ranges == [1...4])
    }

    /// A full batch means a backlog: the next one is due at once, and the reactor's poll must
    /// not wait for a message before running it; a batch that was not full waits a second.
    @Test func aBacklogWakesTheReactorAndAnIdleWindowWaits() {
        var retainer = Retainer(settings: RetentionSettings(window: RetentionWindow(milliseconds: 60_000)), rules: [])
        retainer.batchLimit = 400
        #expect(retainer.isDue(now: 0) && retainer.wake(by: 5_000) == 0, "the first batch runs at once")
        retainer.ran(retired: 400, moreCommands: false, started: 10, now: 90)
        #expect(retainer.isDue(now: 90) && retainer.wake(by: 5_000) == 90, "a full batch: the next is due now, not at the poll's timeout")
        retainer.ran(retired: 12, moreCommands: false, started: 90, now: 100)
        #expect(!retainer.isDue(now: 100) && retainer.wake(by: 5_000) == 1_100, "a partial batch: the next waits a second")
        #expect(retainer.wake(by: 500) == 500, "an earlier deadline stands")
        #expect(retainer.lastBatchMs == 10 && retainer.longestBatchMs == 80)
        let off = Retainer(settings: RetentionSettings(window: RetentionWindow(milliseconds: 0)), rules: [])
        #expect(!off.isDue(now: 0) && off.wake(by: 5_000) == 5_000, "without a window nothing wakes the reactor")
    }

    /// A forged deletion is a gap; a live event inside a retired range is reported too.
    @Test func verifyTellsRetiredFromMissing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(path: directory.appendingPathComponent("log.sqlite").path, service: "test")
        for index in 0..<6 {
            try log.commit(LogBatch(appends: [StreamAppend(stream: "s\(index)", expectedVersion: .any,
                                                           events: [NewEvent(type: "E", data: [:], timeMs: 0)])]))
        }
        var retirement = Retirement()
        retirement.streams = ["s1"]
        try log.retire(retirement, removing: log.events(of: retirement), now: 0)
        #expect(try log.verify().isClean)
        // Deleting an event outside retention leaves a gap the check names; an event put back
        // where retention says it removed one is named too.
        try DatabaseQueue(path: log.path).write { db in
            try db.execute(sql: "DELETE FROM events WHERE seq = 4")
            try db.execute(sql: "INSERT INTO events (seq, stream, version, type, data, time_ms) VALUES (2, 's1', 1, 'E', '{}', 0)")
        }
        let forged = try EventLog(path: log.path, service: "test").verify()
        #expect(forged.sequenceGaps == [4...4])
        #expect(forged.resurrected == [2])
        #expect(!forged.isClean)
    }
}
