import EventLog
import SagaWire

/// What reading one whole log found besides its events: its size, the history retention
/// removed (the last `HistoryRetired`), and where its sequence numbers break.
struct LogScan {
    var events: Int64 = 0
    var retiredEvents: Int64 = 0
    var head: Int64 = 0
    var gaps: [String] = []
    /// Commands whose events are not one contiguous run (a command applied in two commits).
    var repeatedCommands: [String] = []
    var history = RetiredHistory()

    /// Reads every live event of `process` in order, handing each to `body`.
    static func read(_ source: LogSource, _ process: String, _ body: (Event) throws -> Void) throws -> LogScan {
        var scan = LogScan()
        var expected: Int64 = 1
        var lastCommand: String?
        var finished: Set<String> = []
        var repeated: Set<String> = []
        while true {
            let page = try source.page(of: process, from: expected, limit: 1000)
            scan.head = page.head
            guard !page.events.isEmpty else { break }
            for event in page.events {
                // Sequence numbers retention removed (and named) are not gaps.
                while let range = page.retired.first(where: { $0.contains(expected) }) {
                    scan.retiredEvents += range.upperBound - expected + 1
                    expected = range.upperBound + 1
                }
                if event.seq != expected { scan.gaps.append("expected seq \(expected), found \(event.seq)") }
                expected = event.seq + 1
                scan.events += 1
                if event.stream == EventLog.retiredStream {
                    if let history = try? RetiredHistory(json: event.data) { scan.history = history }
                    continue
                }
                let command = event.metadata.causationID
                if command != lastCommand {
                    if let lastCommand { finished.insert(lastCommand) }
                    if let command, finished.contains(command) { repeated.insert(command) }
                    lastCommand = command
                }
                try body(event)
            }
        }
        if expected <= scan.head, let range = scan.history.ranges.last, range.upperBound == scan.head, range.contains(expected) {
            scan.retiredEvents += scan.head - expected + 1
        }
        if scan.events + scan.retiredEvents != scan.head {
            scan.gaps.append("\(scan.events) events and \(scan.retiredEvents) retired for head \(scan.head)")
        }
        scan.repeatedCommands = repeated.sorted()
        return scan
    }

    /// A total retention counted in removed events.
    func retired(_ counter: String) -> Int64 { history.totals[counter] ?? 0 }
}
