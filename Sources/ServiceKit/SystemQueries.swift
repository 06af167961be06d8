import EventLog
import Foundation
import SagaWire

/// The `sys.*` queries every ZSaga process answers: `sys.Ping`, `sys.Head`, `sys.Replay`,
/// `sys.Metrics`.
public struct SystemQueries {
    /// The process's service name.
    public let service: String
    /// When the process started (ms since the epoch).
    public let startedMs: Int64
    /// Most events one `sys.Replay` returns.
    public static let maxReplay: Int64 = 1000

    public init(service: String, startedMs: Int64) {
        self.service = service
        self.startedMs = startedMs
    }

    /// Whether `type` is a system query.
    public static func handles(_ type: String) -> Bool { type.hasPrefix("sys.") }

    /// Answers a system query. `extra` adds process-specific members to `sys.Ping`.
    public func answer(_ query: Query, log: EventLog, now: Int64, extra: [String: JSON] = [:]) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "sys.Ping":
            var members: [String: JSON] = [
                "service": .string(service), "pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
                "head": .int(log.head), "started_ms": .int(startedMs), "uptime_ms": .int(now - startedMs),
                "protocol": .int(protocolVersion),
            ]
            for (key, value) in extra { members[key] = value }
            return .object(members)
        case "sys.Metrics":
            return ["service": .string(service), "format": "prometheus-text-0.0.4", "text": .string(Observability.prometheusText())]
        case "sys.Head":
            return ["service": .string(service), "head": .int(log.head)]
        case "sys.Replay":
            let from = try body.int("from", in: 1...Int64.max)
            let limit = try body.optionalInt("limit", in: 1...Self.maxReplay) ?? Self.maxReplay
            let events: [Event]
            do {
                events = try log.read(from: from, limit: Int(limit))
            } catch {
                throw WireError(.internal, "reading the log failed: \(error)")
            }
            // Sequence numbers retention removed are named, so a follower skips them instead of
            // asking for them again and again.
            let through = events.last?.seq ?? log.head
            let skipped = from <= through ? log.retired?.ranges(overlapping: from...through) ?? [] : []
            var answer: [String: JSON] = ["service": .string(service), "head": .int(log.head),
                                          "events": .array(events.map { WireCodec.envelope(.event($0)) })]
            if !skipped.isEmpty { answer["retired"] = .array(skipped.map { [.int($0.lowerBound), .int($0.upperBound)] }) }
            return .object(JSONObject(answer))
        default:
            throw WireError(.unknownType, "unknown system query \(query.type)", field: "type")
        }
    }
}
