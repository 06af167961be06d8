import ArgumentParser
import EventLog
import Foundation
import LogCheck
import SagaWire

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a log: no gaps, streams in order, a strict replay, and snapshots and read side equal to the fold of the events; exit 1 if not.",
        discussion: """
            Sequence numbers that retention removed are not gaps: the log's last HistoryRetired event names them. With \
            --archive, the archive must hold every one of them, the events it holds that are still live must be the \
            same, and archive and log together must cover 1…head. The log of a built-in process (saga, order, \
            inventory, payment, shipping) is then folded from its first event with a fresh core, strictly (an \
            impossible event is a problem), and the fold is compared with the snapshots at the checkpoint and with \
            every read-side document and counter (--no-fold skips this).
            """)

    @Argument(help: "The log file.") var path: String
    @Option(help: "An archive directory (--archive-dir of the process) to check with the log.") var archive: String?
    @Flag(help: "Skip the fold (strict replay, snapshots, read side).") var noFold = false

    func run() throws {
        let log = try EventLog(existingAt: path)
        let report = try log.verify()
        var problems = report.sequenceGaps.map { "gap: \($0.lowerBound)...\($0.upperBound)" }
            + report.streamsOutOfOrder.map { "out of order: \($0)" }
            + report.resurrected.map { "live but retired: seq \($0)" }
        var archived = 0
        if let archive {
            let check = try ArchiveCheck(log: log, directory: archive)
            archived = check.archived
            problems += check.problems
        }
        var foldSummary = ""
        if !noFold, let fold = try StateVerifier.verify(log) {
            problems += fold.problems
            foldSummary = " folded=\(fold.folded) snapshots_compared=\(fold.snapshotsCompared) rows_compared=\(fold.rowsCompared) "
                + "counters_compared=\(fold.countersCompared) digest_compared=\(fold.digestCompared)"
            for skipped in fold.skipped { print("not compared: \(skipped)") }
        }
        print("service=\(log.service) events=\(report.events) head=\(report.head) commands=\(report.commands) "
              + "retired=\(report.retired) archived=\(archived) gaps=\(report.sequenceGaps.count) "
              + "streams_out_of_order=\(report.streamsOutOfOrder.count)" + foldSummary)
        for problem in problems.prefix(100) { print(problem) }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}

/// An archive checked against its log: every retired sequence number archived, archived events
/// that are still live identical to them, and archive plus log covering 1…head.
struct ArchiveCheck {
    var archived = 0
    var problems: [String] = []

    init(log: EventLog, directory: String) throws {
        var seen: Set<Int64> = []
        for segment in try Archive.segments(in: directory, service: log.service) {
            for event in try Archive.events(inSegment: segment) {
                archived += 1
                guard seen.insert(event.seq).inserted else {
                    problems.append("archived twice: seq \(event.seq) (\((segment as NSString).lastPathComponent))")
                    continue
                }
                if let live = try log.read(from: event.seq, limit: 1).first, live.seq == event.seq, live != event {
                    problems.append("the archive's seq \(event.seq) differs from the log's")
                }
            }
        }
        for range in log.retired?.ranges ?? [] {
            let missing = range.filter { !seen.contains($0) }
            if let first = missing.first {
                problems.append("retired but not archived: \(missing.count) of \(range.lowerBound)...\(range.upperBound), from \(first)")
            }
        }
    }
}
