import ArgumentParser
import EventLog
import Foundation

/// `zsaga-log archive`: writes a log's events (all, or a range) to archive segments, in the
/// format a process writes with `--archive-dir`: for a log that ran without an archive, before
/// retention removes anything from it.
struct ArchiveLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Write a log's events to gzip JSON-lines archive segments (the --archive-dir format).")

    @Argument(help: "The log file.") var path: String
    @Option(help: "The archive directory.") var out: String
    @Option(help: "First sequence number.") var from: Int64 = 1
    @Option(help: "Last sequence number (default: the head).") var to: Int64?

    func run() throws {
        let log = try EventLog(existingAt: path)
        let writer = try ArchiveWriter(directory: out, service: log.service)
        let last = to ?? log.head
        var next = from
        var written = 0
        while next <= last {
            let page = try log.read(from: next, limit: 5000).filter { $0.seq <= last }
            guard let end = page.last else { break }
            try writer.write(page)
            written += page.count
            next = end.seq + 1
        }
        print("service=\(log.service) archived=\(written) from=\(from) to=\(last) directory=\(out)")
    }
}
