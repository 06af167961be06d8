import ArgumentParser
import EventLog

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that sequence numbers have no gaps and every stream is in order; exit 1 if not.")

    @Argument(help: "The log file.") var path: String

    func run() throws {
        let log = try EventLog(existingAt: path)
        let report = try log.verify()
        print("service=\(log.service) events=\(report.events) head=\(report.head) commands=\(report.commands) "
              + "gaps=\(report.sequenceGaps.count) streams_out_of_order=\(report.streamsOutOfOrder.count)")
        for gap in report.sequenceGaps { print("gap: \(gap.lowerBound)...\(gap.upperBound)") }
        for stream in report.streamsOutOfOrder { print("out of order: \(stream)") }
        if !report.isClean { throw ExitCode(1) }
    }
}
