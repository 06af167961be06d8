import EventLog
import Foundation
import SagaWire

/// The logs of a stopped cluster (or copies of them), read straight from their SQLite files:
/// `<directory>/<process>/<process>.sqlite`, the layout of `--data-dir` under
/// `scripts/cluster.sh` and the test clusters.
public final class FileLogs: LogSource {
    private let logs: [String: EventLog]

    /// Opens the log of each of `processes` under `directory`.
    public init(directory: String, processes: [String]) throws(LogCheckError) {
        var logs: [String: EventLog] = [:]
        for process in processes {
            let path = Self.path(directory: directory, process: process)
            guard FileManager.default.fileExists(atPath: path) else { throw .missingLog(process: process, path: path) }
            do { logs[process] = try EventLog(existingAt: path) } catch { throw .unreadable(process: process, cause: error) }
        }
        self.logs = logs
    }

    /// Where a process's log lives under a cluster's data directory.
    public static func path(directory: String, process: String) -> String {
        ((directory as NSString).appendingPathComponent(process) as NSString).appendingPathComponent("\(process).sqlite")
    }

    private func log(_ process: String) throws(LogCheckError) -> EventLog {
        guard let log = logs[process] else { throw .missingLog(process: process, path: "(not opened)") }
        return log
    }

    public func page(of process: String, from seq: Int64, limit: Int) throws -> LogPage {
        let log = try log(process)
        let events = try log.read(from: seq, limit: limit)
        let through = events.last?.seq ?? log.head
        let retired = seq <= through ? log.retired?.ranges(overlapping: seq...through) ?? [] : []
        return LogPage(events: events, retired: retired, head: log.head)
    }

    public func commands(of process: String, after id: String?, limit: Int) throws -> (records: [RecordedCommand], next: String?) {
        let records = try log(process).commands(after: id, limit: limit)
        return (records.map(RecordedCommand.init), records.count == limit ? records.last?.id : nil)
    }

    /// The saga log's counters as stored, at its projection's position.
    public func sagaCounters() throws -> SagaCounters? {
        guard let log = logs["saga"] else { return nil }
        return SagaCounters(asOf: log.projected, counters: try log.counters(prefix: "sagas."))
    }
}
