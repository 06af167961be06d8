/// Encoding: a payload to the bytes the log holds.
extension SagaEvent {
    /// The payload as the log holds it.
    public var data: JSON {
        switch self {
        case .definitionRegistered(let e):
            return Self.object([(.type, .string(e.type)), (.fingerprint, .string(e.fingerprint)), (.definition, e.definition)])
        case .sagaStarted(let e):
            return Self.object([(.sagaID, .string(e.sagaID)), (.type, .string(e.type)), (.definition, .string(e.definition)),
                                (.context, e.context)])
        case .stepSucceeded(let e):
            return Self.object([(.step, .int(Int64(e.step))), (.name, .string(e.name)), (.commandID, .string(e.commandID)),
                                (.result, e.result)])
        case .stepRetrying(let e):
            return Self.object([(.commandID, .string(e.commandID)), (.role, Self.json(e.role)), (.name, .string(e.name)),
                                (.attempt, .int(Int64(e.attempt))), (.reason, .string(e.reason)), (.delayMs, .int(e.delayMs))])
        case .stepFailed(let e):
            var members: [(Key, JSON)] = [(.step, .int(Int64(e.step))), (.name, .string(e.name)), (.commandID, .string(e.commandID)),
                                          (.reason, .string(e.reason)), (.message, .string(e.message)), (.exhausted, .bool(e.exhausted))]
            if let from = e.compensateFrom { members.append((.compensateFrom, .int(Int64(from)))) }
            return Self.object(members)
        case .compensationSucceeded(let e):
            return Self.object([(.step, .int(Int64(e.step))), (.name, .string(e.name)), (.commandID, .string(e.commandID))])
        case .completionSucceeded(let e):
            return Self.object([(.index, .int(Int64(e.index))), (.name, .string(e.name)), (.commandID, .string(e.commandID))])
        case .sagaCompleted(let e):
            return Self.object([(.durationMs, .int(e.durationMs))])
        case .sagaCompensated(let e):
            return Self.object([(.durationMs, .int(e.durationMs)), (.failure, e.failure.map(JSON.string) ?? .null)])
        case .sagaStuck(let e):
            return Self.object([(.reason, .string(e.reason)), (.commandID, .string(e.commandID))])
        case .sagaResumed(let e):
            return Self.object([(.round, .int(Int64(e.round)))])
        }
    }

    /// The event to append: a saga's events are correlated with the saga and caused by it; a
    /// registration is neither.
    public func newEvent(timeMs: Int64) -> NewEvent {
        switch self {
        case .definitionRegistered: return NewEvent(type: type.rawValue, data: data, timeMs: timeMs)
        default: return newEvent(sagaID: sagaID ?? "", timeMs: timeMs)
        }
    }

    /// The event to append to saga `sagaID`'s stream.
    public func newEvent(sagaID: String, timeMs: Int64) -> NewEvent {
        NewEvent(type: type.rawValue, data: data, correlationID: sagaID, causationID: sagaID, timeMs: timeMs)
    }

    /// The saga a `SagaStarted` names (the other events name theirs by their stream).
    private var sagaID: String? {
        if case .sagaStarted(let e) = self { return e.sagaID }
        return nil
    }

    /// A role as `StepRetrying` records it.
    public static func json(_ role: CommandRole) -> JSON {
        switch role {
        case .action(let step): return object([(.kind, "action"), (.step, .int(Int64(step)))])
        case .compensation(let step): return object([(.kind, "compensation"), (.step, .int(Int64(step)))])
        case .completion(let index): return object([(.kind, "completion"), (.index, .int(Int64(index)))])
        }
    }

    private static func object(_ members: [(Key, JSON)]) -> JSON {
        var object = JSONObject()
        for (key, value) in members { object[key.rawValue] = value }
        return .object(object)
    }
}
