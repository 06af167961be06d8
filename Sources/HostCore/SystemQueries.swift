import EventLog
import Foundation
import SagaWire

/// The `sys.*` queries every ZSaga process answers: `sys.Ping`, `sys.Head`, `sys.Replay`,
/// `sys.Commands`, `sys.Metrics`.
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

    /// A read-side answer with the log position it reflects, `as_of_seq` (the projection's
    /// position: every event up to it, none after it), so that a checker compares its counters
    /// with the events up to exactly there. A body that is not an object is left as it is.
    public static func stamped(_ body: JSON, asOf seq: Int64) -> JSON {
        guard var members = body.objectValue else { return body }
        members["as_of_seq"] = .int(seq)
        return .object(members)
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
            return ["service": .string(service), "format": "prometheus-text-0.0.4", "text": .string(MetricsExposition.text())]
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
        case "sys.Commands":
            return try commands(body, log: log)
        default:
            throw WireError(.unknownType, "unknown system query \(query.type)", field: "type")
        }
    }

    /// `sys.Commands`: the recorded commands in id order after `after`, with the outcome each
    /// got and the sequence numbers of the events it appended, so a checker can confirm every
    /// claim the orchestrator makes about a command against its owner's record.
    private func commands(_ body: Fields, log: EventLog) throws(WireError) -> JSON {
        let after = try body.optionalString("after", maxBytes: 1024)
        let limit = try body.optionalInt("limit", in: 1...Self.maxReplay) ?? Self.maxReplay
        let records: [CommandRecord]
        do { records = try log.commands(after: after, limit: Int(limit)) } catch {
            throw WireError(.internal, "reading the command records failed: \(error)")
        }
        let entries: [JSON] = records.map { record in
            var entry: [String: JSON] = ["command_id": .string(record.id), "time_ms": .int(record.timeMs)]
            if case .reply(let reply)? = try? WireCodec.decode(record.reply) {
                entry["outcome"] = .string(reply.outcome.rawValue)
                entry["events"] = .array(reply.events.map { .int($0) })
                if let reason = reply.reason { entry["reason"] = .string(reason) }
            } else {
                entry["outcome"] = "unreadable"
            }
            return .object(JSONObject(entry))
        }
        return ["service": .string(service), "commands": .array(entries),
                "next": records.count == Int(limit) ? records.last.map { .string($0.id) } ?? .null : .null]
    }
}
