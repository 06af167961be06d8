import SagaWire
import ServiceModel

/// What the orchestrator keeps of a saga for lists, counts and duplicate starts: its row in the
/// read side (table `sagas`). Its full history stays in the log.
public struct SagaSummary: Sendable, Equatable {
    public var id: String
    public var type: String
    public var status: SagaStatus
    public var startedMs: Int64
    /// When the saga last changed status.
    public var updatedMs: Int64
    public var failure: String?
    public var stuckReason: String?
    /// A hash of the saga's type and context, to tell a repeated start from a conflicting one.
    public var contentHash: UInt64

    public init(_ state: SagaState) {
        self.init(id: state.id, type: state.type, status: state.status, startedMs: state.startedMs, updatedMs: state.updatedMs,
                  failure: state.failure, stuckReason: state.stuckReason, contentHash: state.contentHash)
    }

    public init(id: String, type: String, status: SagaStatus, startedMs: Int64, updatedMs: Int64, failure: String?,
                stuckReason: String?, contentHash: UInt64) {
        self.id = id
        self.type = type
        self.status = status
        self.startedMs = startedMs
        self.updatedMs = updatedMs
        self.failure = failure
        self.stuckReason = stuckReason
        self.contentHash = contentHash
    }

    /// Reads a summary back from its read-side document.
    public init?(json: JSON) {
        guard let id = json["saga_id"]?.stringValue, let type = json["type"]?.stringValue,
              let status = json["status"]?.stringValue.flatMap(SagaStatus.init(rawValue:)) else { return nil }
        self.init(id: id, type: type, status: status, startedMs: json["started_ms"]?.intValue ?? 0,
                  updatedMs: json["updated_ms"]?.intValue ?? 0, failure: json["failure"]?.stringValue,
                  stuckReason: json["stuck_reason"]?.stringValue,
                  contentHash: UInt64(json["content_hash"]?.stringValue ?? "", radix: 16) ?? 0)
    }

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

