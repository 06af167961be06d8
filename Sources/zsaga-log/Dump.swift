import ArgumentParser
import EventLog
import Foundation
import SagaWire

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print events as JSON lines, in log order.")

    @Argument(help: "The log file.") var path: String
    @Option(help: "First sequence number.") var from: Int64 = 1
    @Option(help: "Most events to print.") var limit: Int = Int.max

    func run() throws {
        let log = try EventLog(existingAt: path)
        var printed = 0
        try log.forEachEvent(from: from) { event in
            guard printed < limit else { return }
            print(String(decoding: WireCodec.encode(.event(event)), as: UTF8.self))
            printed += 1
        }
    }
}
