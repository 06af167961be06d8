import SagaWire
import ServiceModel

/// A saga of any type as the monitor lists it: read-side table `sagas`, keyed by saga id, with
/// its type, status, times, failure, and the user and order its context names, if any. The
/// order saga's sagas also have an order view (``OrderView``); `monitor.ListSagas` lists every
/// saga from this table and joins the view where there is one.
public struct SagaRow: Sendable, Equatable {
    /// The read-side table: searchable by id and user, listed newest first (overall or by
    /// status), retired by end time.
    public static let table = ReadTable("sagas", columns: ["user_id", "saga_status", "saga_started_ms", "saga_ended_ms"],
                                        indexes: [["user_id"], ["saga_started_ms"], ["saga_status", "saga_started_ms"], ["saga_ended_ms"]])

    public var sagaID: String
    public var type: String
    public var status: SagaStatus
    public var startedMs: Int64
    public var endedMs: Int64?
    public var userID: String?
    public var orderID: String?
    public var failure: String?
    public var stuckReason: String?

    /// A saga just started from its `SagaStarted` (its type and context).
    public init(sagaID: String, started: SagaEvent.SagaStarted, timeMs: Int64) {
        self.sagaID = sagaID
        type = started.type
        status = .running
        startedMs = timeMs
        userID = started.context["user_id"]?.stringValue
        orderID = started.context["order_id"]?.stringValue
    }

    /// Completed or compensated: it no longer changes.
    public var isSettled: Bool { status.isTerminal }

    /// The row's write.
    public var write: ReadWrite {
        .put(table: Self.table.name, key: sagaID, columns: [
            "user_id": userID.map(ReadValue.text) ?? .null, "saga_status": .text(status.rawValue), "saga_started_ms": .int(startedMs),
            "saga_ended_ms": endedMs.map(ReadValue.int) ?? .null,
        ], document: json)
    }

    /// As listed: the members an order view has for its saga (`saga_id`, `saga_status`,
    /// `saga_started_ms`, …), and `type`.
    public var json: JSON {
        var out: JSONObject = ["saga_id": .string(sagaID), "type": .string(type), "saga_status": .string(status.rawValue),
                               "saga_started_ms": .int(startedMs)]
        if let endedMs { out["saga_ended_ms"] = .int(endedMs) }
        if let userID { out["user_id"] = .string(userID) }
        if let orderID { out["order_id"] = .string(orderID) }
        if let failure { out["failure"] = .string(failure) }
        if let stuckReason { out["stuck_reason"] = .string(stuckReason) }
        return .object(out)
    }

    public init?(json: JSON) {
        guard let sagaID = json["saga_id"]?.stringValue,
              let status = json["saga_status"]?.stringValue.flatMap(SagaStatus.init(rawValue:)) else { return nil }
        self.sagaID = sagaID
        self.status = status
        type = json["type"]?.stringValue ?? ""
        startedMs = json["saga_started_ms"]?.intValue ?? 0
        endedMs = json["saga_ended_ms"]?.intValue
        userID = json["user_id"]?.stringValue
        orderID = json["order_id"]?.stringValue
        failure = json["failure"]?.stringValue
        stuckReason = json["stuck_reason"]?.stringValue
    }
}
