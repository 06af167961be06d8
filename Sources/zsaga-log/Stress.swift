import ArgumentParser
import EventLog
import Foundation
import SagaWire

/// Appends batches as fast as it can and prints `ack N FIRST LAST` after each commit returns.
/// The crash-durability test kills it with SIGKILL and checks that every acknowledged batch
/// is in the log, whole, and that no batch is there in part.
struct Stress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append numbered batches, acknowledging each after its commit (for crash tests).")

    @Argument(help: "The log file.") var path: String
    @Option(help: "Number of batches to write.") var batches: Int = 1_000_000
    @Option(help: "Most events per batch (each batch has 1 to this many, per stream).") var eventsPerBatch: Int = 5
    @Option(help: "Streams each batch writes to.") var streamsPerBatch: Int = 2
    @Option(help: "Batches per group commit.") var group: Int = 4
    @Option(help: "Seed for batch sizes.") var seed: UInt64 = 1

    func run() throws {
        let log = try EventLog(path: path, service: "stress")
        // Continue numbering after batches an earlier (killed) run committed.
        var number = Int(try log.commandCount())
        var random = SplitMix64(seed: seed &+ UInt64(number))
        func nextRandom() -> UInt64 { random.next() }
        while number < batches {
            var units: [LogBatch] = []
            for _ in 0..<group where number + units.count < batches {
                let id = number + units.count
                let streams = (0..<streamsPerBatch).map { "stream-\((id + $0 * 7) % 13)" }
                let sizes = streams.map { _ in 1 + Int(nextRandom() % UInt64(eventsPerBatch)) }
                let total = sizes.reduce(0, +)
                var appends: [StreamAppend] = []
                var index = 0
                for (stream, size) in zip(streams, sizes) {
                    let events = (0..<size).map { _ -> NewEvent in
                        defer { index += 1 }
                        return NewEvent(type: "StressEvent", data: ["batch": .int(Int64(id)), "index": .int(Int64(index)),
                                                                    "of": .int(Int64(total))],
                                        correlationID: "batch-\(id)", causationID: "cmd-\(id)", timeMs: 0)
                    }
                    appends.append(StreamAppend(stream: stream, expectedVersion: .any, events: events))
                }
                units.append(LogBatch(appends: appends,
                                      commands: [ProcessedCommand(commandID: "cmd-\(id)", reply: Array("{\"batch\":\(id)}".utf8), timeMs: 0)]))
            }
            let results = try log.commit(group: units)
            for (offset, result) in results.enumerated() {
                let events = try result.get()
                print("ack \(number + offset) \(events.first!.seq) \(events.last!.seq)")
            }
            fflush(nil)
            number += units.count
        }
    }
}
