import Foundation
import LogCheck
import SagaClient
import SagaWire

/// Text renderings for `sagactl`.
public enum Formatting {
    /// A saga and its timeline as lines for a terminal.
    public static func saga(_ answer: JSON) -> [String] {
        let saga = answer["saga"] ?? [:]
        var lines = ["saga \(saga["saga_id"]?.stringValue ?? "?")  type \(saga["type"]?.stringValue ?? "?")  status \(saga["status"]?.stringValue ?? "?")"]
        if let failure = saga["failure"]?.stringValue { lines.append("failure: \(failure)") }
        if let stuck = saga["stuck_reason"]?.stringValue { lines.append("stuck: \(stuck)") }
        let timeline = answer["timeline"]?.arrayValue ?? []
        let start = timeline.first?["time_ms"]?.intValue ?? 0
        for entry in timeline {
            let offset = (entry["time_ms"]?.intValue ?? start) - start
            lines.append(String(format: "  %+7lldms  ", offset) + describe(entry))
        }
        return lines
    }

    /// One timeline entry in words (a `saga.GetSaga` timeline entry: the event's payload, less
    /// `SagaStarted`'s context, with its `event`, `seq` and `time_ms`).
    public static func describe(_ entry: JSON) -> String {
        let name = entry["event"]?.stringValue ?? ""
        guard let type = SagaEventType(rawValue: name) else { return name }
        if type == .sagaStarted { return "started" }
        guard let move = try? SagaEvent(type: type, data: entry) else { return name }
        switch move {
        case .sagaStarted: return "started"
        case .definitionRegistered(let e): return "definition \(e.fingerprint) of \(e.type) registered"
        case .stepSucceeded(let e): return "\(e.name) succeeded"
        case .stepFailed(let e): return "FAILED: \(e.message)"
        case .stepRetrying(let e): return "\(e.name) retry, attempt \(e.attempt) in \(e.delayMs) ms (\(e.reason))"
        case .compensationSucceeded(let e): return "\(e.name) compensated"
        case .completionSucceeded(let e): return "\(e.name) done"
        case .sagaCompleted: return "COMPLETED"
        case .sagaCompensated: return "COMPENSATED"
        case .sagaStuck(let e): return "STUCK: \(e.reason)"
        case .sagaResumed(let e): return "resumed by operator (round \(e.round))"
        }
    }

    /// The summary of a load run as lines.
    public static func run(_ summary: RunSummary) -> [String] {
        var lines = [
            "sagas       \(summary.sagas)",
            "completed   \(summary.completed)",
            "compensated \(summary.compensated)" + (summary.sagas > 0
                ? String(format: " (%.1f%%)", 100 * Double(summary.compensated) / Double(summary.sagas)) : ""),
            "stuck       \(summary.stuck)",
            "failed      \(summary.failed)",
            String(format: "wall        %.2f s   %.1f sagas/s", summary.wallSeconds, summary.sagasPerSecond),
            String(format: "latency ms  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", summary.percentile(50), summary.percentile(90),
                   summary.percentile(99), summary.latencies.max() ?? 0),
        ]
        for (reason, count) in summary.failureReasons.sorted(by: { $0.value > $1.value }) {
            lines.append("  compensated because \(reason): \(count)")
        }
        return lines
    }

    /// The check report as lines.
    public static func check(_ report: CheckReport) -> [String] {
        var lines = ["sagas \(report.sagas): " + report.byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
        for (key, value) in report.figures.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
        if report.isClean {
            lines.append("OK: every invariant holds")
        } else {
            lines.append("VIOLATIONS: \(report.figures["violations_found"]?.intValue ?? Int64(report.violations.count))")
            for violation in report.violations {
                lines.append("  [\(violation.check)] \(violation.sagaID.map { "saga \($0): " } ?? "")\(violation.detail)")
            }
        }
        return lines
    }

    /// A JSON value on one line.
    public static func line(_ json: JSON) -> String { json.description }
}
