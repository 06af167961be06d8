import Foundation
import SagaWire
import Testing
import TestSupport
@testable import EventLog

/// A real process appends and acknowledges batches and is killed with SIGKILL mid-run; the
/// reopened log must hold every acknowledged batch, whole, and no batch in part.
@Suite struct CrashDurabilityTests {
    @Test func acknowledgedBatchesSurviveSIGKILLWholeAndNoBatchIsPartial() throws {
        let tool = try Binaries.path("zsaga-log")
        let directory = try TempDirectory("crash")
        defer { directory.remove() }
        let path = directory.file("stress.sqlite")
        var acknowledged: [Int: (first: Int64, last: Int64)] = [:]

        for round in 0..<4 {
            let child = try ChildProcess(tool, ["stress", path, "--events-per-batch", "6", "--streams-per-batch", "3",
                                                "--group", "\(1 + round)", "--seed", "\(round + 11)"])
            // Let it write for a while, then kill it without warning.
            let started = child.waitForLine(seconds: 30) { $0.hasPrefix("ack ") }
            #expect(started != nil, "the stress writer acknowledged nothing: \(child.stderrLines)")
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...0.6))
            child.signal(SIGKILL)
            #expect(child.wait(seconds: 10) != nil)
            #expect(child.wasSignalled)
            for line in child.stdoutLines where line.hasPrefix("ack ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, let batch = Int(parts[1]), let first = Int64(parts[2]), let last = Int64(parts[3])
                else { continue } // a line cut short by the kill was never a complete acknowledgement
                acknowledged[batch] = (first, last)
            }
        }
        #expect(acknowledged.count > 10)

        let log = try EventLog(existingAt: path)
        let verification = try log.verify()
        #expect(verification.isClean, "gaps \(verification.sequenceGaps), out of order \(verification.streamsOutOfOrder)")

        // Group the log's events by batch.
        var byBatch: [Int: [Event]] = [:]
        try log.forEachEvent { event in
            byBatch[Int(event.data["batch"]!.intValue!), default: []].append(event)
        }
        // Every acknowledged batch is there, with exactly the sequence numbers it was acknowledged with.
        for (batch, range) in acknowledged {
            let events = try #require(byBatch[batch], "acknowledged batch \(batch) is missing")
            #expect(events.map(\.seq) == Array(range.first...range.last), "batch \(batch)")
            #expect(try log.reply(forCommand: "cmd-\(batch)") == Array("{\"batch\":\(batch)}".utf8))
        }
        // No batch is in the log in part: each has all `of` events, indexes 0..<of, and its command.
        for (batch, events) in byBatch {
            let of = Int(events[0].data["of"]!.intValue!)
            #expect(events.count == of, "batch \(batch) has \(events.count) of \(of) events")
            #expect(events.map { Int($0.data["index"]!.intValue!) } == Array(0..<of))
            #expect(try log.reply(forCommand: "cmd-\(batch)") != nil, "batch \(batch) has events but no command record")
        }
        // Batches are numbered without holes, and every command has its events.
        #expect(Set(byBatch.keys) == Set(0..<byBatch.count))
        #expect(try log.commandCount() == Int64(byBatch.count))
    }
}
