import Domain
import SagaWire

/// What the orchestrator keeps of a saga that no longer moves: enough to list it, count it and
/// recognise a duplicate start. Its full history stays in the log.
public struct SagaSummary: Sendable, Equatable {
    public var id: String
    public var type: String
    public var status: SagaStatus
    public var startedMs: Int64
    public var updatedMs: Int64
    public var failure: String?
    public var stuckReason: String?
    /// A hash of the saga's type and context, to tell a repeated start from a conflicting one.
    public var contentHash: UInt64

    public var json: JSON {
        var members: [String: JSON] = [
            "saga_id": .string(id), "type": .string(type), "status": .string(status.rawValue),
            "started_ms": .int(startedMs), "updated_ms": .int(updatedMs),
            "content_hash": .string(String(contentHash, radix: 16)),
        ]
        if let failure { members["failure"] = .string(failure) }
        if let stuckReason { members["stuck_reason"] = .string(stuckReason) }
        return .object(members)
    }
}

/// The hash that identifies a saga's content (type and context).
public func sagaContentHash(type: String, context: JSON) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in Array(type.utf8) + [0] + JSONWriter.canonical(context) {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// Every saga the orchestrator knows and the definitions they run: a fold of the saga log.
///
/// Sagas that can still move (running, compensating, stuck) are kept whole; completed and
/// compensated ones only as a ``SagaSummary``.
public struct SagaBook: EventSourced {
    /// Definitions by fingerprint.
    public private(set) var definitions: [String: SagaDefinition] = [:]
    /// Sagas that can still move, by id.
    public private(set) var active: [String: SagaState] = [:]
    /// Every saga, by id.
    public private(set) var summaries: [String: SagaSummary] = [:]
    /// Sagas per status.
    public private(set) var counts: [SagaStatus: Int] = [:]

    public init() {}

    /// The stream of a registered definition.
    public static func definitionStream(_ fingerprint: String) -> String { "definition-\(fingerprint)" }

    /// The event that registers a definition in the log.
    public static func registration(_ definition: SagaDefinition, now: Int64) -> NewEvent {
        NewEvent(type: "DefinitionRegistered", data: [
            "type": .string(definition.type), "fingerprint": .string(definition.fingerprint), "definition": definition.json,
        ], timeMs: now)
    }

    /// Sagas that are running or compensating (what counts against the in-flight limit).
    public var inFlight: Int { counts[.running, default: 0] + counts[.compensating, default: 0] }

    /// Stores a saga after the state machine moved it.
    public mutating func update(_ state: SagaState) {
        let old = summaries[state.id]
        if let old { counts[old.status, default: 0] -= 1 }
        counts[state.status, default: 0] += 1
        summaries[state.id] = SagaSummary(
            id: state.id, type: state.type, status: state.status, startedMs: state.startedMs, updatedMs: state.updatedMs,
            failure: state.failure, stuckReason: state.stuckReason,
            contentHash: old?.contentHash ?? sagaContentHash(type: state.type, context: state.context))
        if state.status.isTerminal {
            active.removeValue(forKey: state.id)
        } else {
            active[state.id] = state
        }
    }

    /// The definition a saga runs.
    public func definition(of state: SagaState) -> SagaDefinition? { definitions[state.definition] }

    // MARK: EventSourced

    public mutating func apply(_ event: Event) throws(DomainError) {
        if event.type == "DefinitionRegistered" {
            try register(event.data)
            return
        }
        guard event.stream.hasPrefix("saga-") else { throw DomainError("unexpected stream \(event.stream)") }
        let id = String(event.stream.dropFirst(5))
        if event.type == "SagaStarted" {
            guard let fingerprint = event.data["definition"]?.stringValue, let definition = definitions[fingerprint] else {
                throw DomainError("SagaStarted #\(event.seq) names an unregistered definition")
            }
            update(try SagaState(started: event, definition))
            return
        }
        guard var state = active[id], let definition = definitions[state.definition] else {
            throw DomainError("\(event.type) #\(event.seq) for saga \(id), which is not active")
        }
        try state.apply(event, definition)
        update(state)
    }

    private mutating func register(_ data: JSON) throws(DomainError) {
        guard let fingerprint = data["fingerprint"]?.stringValue, let json = data["definition"] else {
            throw DomainError("DefinitionRegistered is incomplete")
        }
        do {
            definitions[fingerprint] = try SagaDefinition.parse(json, path: "definition")
        } catch {
            throw DomainError("registered definition \(fingerprint) is invalid: \(error)")
        }
    }

    public func snapshot(stream: String) -> JSON? {
        if stream.hasPrefix("definition-") {
            let fingerprint = String(stream.dropFirst(11))
            guard let definition = definitions[fingerprint] else { return nil }
            return ["fingerprint": .string(fingerprint), "definition": definition.json, "version": 1]
        }
        guard stream.hasPrefix("saga-") else { return nil }
        let id = String(stream.dropFirst(5))
        if let state = active[id] {
            return ["state": state.json, "content_hash": .string(String(summaries[id]?.contentHash ?? 0, radix: 16)),
                    "version": .int(state.version)]
        }
        return summaries[id].map { ["summary": $0.json] }
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        if stream.hasPrefix("definition-") {
            try register(snapshot)
            return
        }
        if let state = snapshot["state"] {
            let restored = try SagaState(json: state)
            update(restored)
            summaries[restored.id]?.contentHash = UInt64(snapshot["content_hash"]?.stringValue ?? "", radix: 16) ?? 0
            return
        }
        guard let summary = snapshot["summary"], let id = summary["saga_id"]?.stringValue,
              let type = summary["type"]?.stringValue,
              let status = summary["status"]?.stringValue.flatMap(SagaStatus.init(rawValue:)) else {
            throw DomainError("saga snapshot of \(stream) is invalid")
        }
        let restored = SagaSummary(
            id: id, type: type, status: status, startedMs: summary["started_ms"]?.intValue ?? 0,
            updatedMs: summary["updated_ms"]?.intValue ?? 0, failure: summary["failure"]?.stringValue,
            stuckReason: summary["stuck_reason"]?.stringValue,
            contentHash: UInt64(summary["content_hash"]?.stringValue ?? "", radix: 16) ?? 0)
        if let old = summaries[id] { counts[old.status, default: 0] -= 1 }
        counts[status, default: 0] += 1
        summaries[id] = restored
        active.removeValue(forKey: id)
    }
}
