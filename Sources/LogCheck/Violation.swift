import SagaWire

/// One broken invariant.
public struct Violation: Sendable, Equatable {
    /// The saga concerned, when there is one.
    public var sagaID: String?
    /// Which check failed, a stable name such as `money` or `replay_strict` (docs/FAULTS.md
    /// lists them all).
    public var check: String
    /// What was found.
    public var detail: String

    public init(sagaID: String?, check: String, detail: String) {
        self.sagaID = sagaID
        self.check = check
        self.detail = detail
    }

    public var json: JSON {
        ["saga_id": sagaID.map { .string($0) } ?? .null, "check": .string(check), "detail": .string(detail)]
    }
}

/// What a check found.
public struct CheckReport: Sendable {
    public var sagas = 0
    public var byStatus: [String: Int] = [:]
    public var violations: [Violation] = []
    /// Figures gathered from the logs, for the report.
    public var figures: [String: JSON] = [:]

    public init() {}

    public var isClean: Bool { violations.isEmpty }

    public var json: JSON {
        func count(_ status: SagaStatus) -> Int64 { Int64(byStatus[status.rawValue, default: 0]) }
        return ["sagas": .int(Int64(sagas)), "completed": .int(count(.completed)), "compensated": .int(count(.compensated)),
                "stuck": .int(count(.stuck)), "running": .int(count(.running) + count(.compensating)),
                "violations": .array(violations.map(\.json)), "figures": .object(JSONObject(figures))]
    }
}
