import ArgumentParser
import Foundation
import SagaClient
import SagaHarness
import SagaWire

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send hostile and malformed messages to every process's ROUTER for a while, then check they all still answer.",
        discussion: """
            Random bytes, mutated envelopes, wrong frame counts, empty frames, invalid UTF-8, truncated and deeply \
            nested JSON, huge numbers, valid envelopes with hostile values and oversized messages (docs/SECURITY.md). \
            Nothing it sends is a valid command, so a clean run changes no state: run `sagactl check` after it. \
            Exit status 1 when a process went silent, a message went unanswered or a hostile message was accepted.
            """)

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "Seconds of fuzzing.") var duration: Double = 30
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 1
    @Option(help: "Messages per second over all processes; 0 sends as fast as they answer.") var rate: Double = 0
    @Option(help: "Comma-separated processes to fuzz. Default: every process of the topology.") var targets: String?
    @Flag(help: "Print the report as one JSON object on the last line.") var json = false

    func validate() throws {
        guard duration > 0, rate >= 0 else { throw ValidationError("--duration must be positive and --rate at least 0") }
    }

    func run() throws {
        var chosen: [String: String] = [:]
        for name in (try targets ?? cluster.endpoints.names.joined(separator: ",")).split(separator: ",").map(String.init) {
            chosen[name] = try cluster.router(name)
        }
        var options = Fuzzer.Options(targets: chosen, durationSeconds: duration, seed: seed)
        options.rate = rate
        options.keys = try cluster.curveKeys()
        // Refuse to start against a cluster that is not there: a fuzz of nothing proves nothing.
        let silentBefore = try Fuzzer(options).silentProcesses()
        guard silentBefore.isEmpty else {
            throw fail("no answer from \(silentBefore.joined(separator: ", ")): is the cluster running? (a secured cluster also needs ZSAGA_KEYS)")
        }
        let bar = Progress(total: Int(duration.rounded(.up)), label: "seconds")
        let report = try Fuzzer(options).run { so in
            bar.update(done: Int(so.seconds), rate: so.seconds > 0 ? Double(so.total) / so.seconds : 0,
                       details: "\(so.total) messages, \(so.answered) answered")
        }
        bar.finish()
        print("fuzzed \(chosen.keys.sorted().joined(separator: ",")) for \(String(format: "%.1f", report.seconds)) s: "
              + "\(report.total) messages (\(Int(Double(report.total) / max(report.seconds, 0.001)))/s), \(report.answered) answered, "
              + "\(report.unanswered) unanswered")
        print("  by category: " + report.sent.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))
        print("  replies:     " + report.replies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        for finding in report.accepted.prefix(20) { print("  ACCEPTED hostile message: \(finding)") }
        if report.garbledReplies > 0 { print("  GARBLED replies: \(report.garbledReplies)") }
        if !report.silent.isEmpty { print("  SILENT after the run: \(report.silent.joined(separator: ", "))") }
        print(report.clean ? "every process answers; every hostile message was refused" : "FUZZ FINDINGS (see above)")
        if json { print(Formatting.line(report.json)) }
        if !report.clean { throw ExitCode.failure }
    }
}
