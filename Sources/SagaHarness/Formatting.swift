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

    /// One timeline entry in words.
    public static func describe(_ entry: JSON) -> String {
        let name = entry["name"]?.stringValue ?? ""
        switch entry["event"]?.stringValue ?? "" {
        case "SagaStarted": return "started"
        case "StepSucceeded": return "\(name) succeeded"
        case "StepFailed":
            return "FAILED: \(entry["message"]?.stringValue ?? "\(name) \(entry["reason"]?.stringValue ?? "")")"
        case "StepRetrying":
            return "\(name) retry, attempt \(entry["attempt"]?.intValue ?? 0) in \(entry["delay_ms"]?.intValue ?? 0) ms (\(entry["reason"]?.stringValue ?? ""))"
        case "CompensationSucceeded": return "\(name) compensated"
        case "CompletionSucceeded": return "\(name) done"
        case "SagaCompleted": return "COMPLETED"
        case "SagaCompensated": return "COMPENSATED"
        case "SagaStuck": return "STUCK: \(entry["reason"]?.stringValue ?? "")"
        case "SagaResumed": return "resumed by operator (round \(entry["round"]?.intValue ?? 0))"
        case let other: return other
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
