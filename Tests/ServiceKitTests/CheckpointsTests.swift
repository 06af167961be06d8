import ServiceModel
import EventLog
import Foundation
import Logging
import SagaWire
import Testing
@testable import HostCore
@testable import ServiceKit

/// A tiny event-sourced state: a counter per stream.
struct Counters: EventSourced, Equatable {
    var values: [String: Int64] = [:]

    mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        values[event.stream, default: 0] += event.data["by"]?.intValue ?? 0
        return []
    }

    func snapshot(stream: String) -> JSON? {
        values[stream].map { ["value": .int($0)] }
    }

    mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        values[stream] = snapshot["value"]?.intValue
    }
}

@Suite struct CheckpointsTests {
    /// Regression: streams changed before a restart (replayed at start) must be in the next
    /// snapshot, or the checkpoint after it claims state it does not hold.
    @Test func snapshotsAfterRestartsStillCoverEveryStream() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("log.sqlite").path
        let logger = Logger(label: "test")
        var expected = Counters()
        var random = SplitMix64(seed: 3)

        for life in 0..<6 {
            // Each life: recover, append some events (snapshotting every 7), then "crash".
            let log = try EventLog(path: path, service: "test")
            var state = Counters()
            var checkpoints = Checkpoints(every: 7)
            _ = try checkpoints.recover(&state, from: log)
            #expect(state == expected, "life \(life) recovered a different state")
            for _ in 0..<Int(random.next() % 12) {
                let stream = "s\(random.next() % 9)"
                let by = Int64(random.next() % 5) + 1
                let events = try log.commit(LogBatch(appends: [StreamAppend(
                    stream: stream, expectedVersion: .any,
                    events: [NewEvent(type: "Add", data: ["by": .int(by)], timeMs: 0)])]))
                for event in events { _ = try state.apply(event); _ = try expected.apply(event) }
                checkpoints.committed(events)
                if checkpoints.isDue { try checkpoints.write(state, to: log, logger: logger) }
            }
        }
        let log = try EventLog(path: path, service: "test")
        var final = Counters()
        var checkpoints = Checkpoints(every: 7)
        let report = try checkpoints.recover(&final, from: log)
        #expect(final == expected)
        #expect(report.checkpoint > 0, "no snapshot was ever written")
    }
}
