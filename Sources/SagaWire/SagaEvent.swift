/// An event of the orchestrator's log, typed: the one vocabulary the orchestrator writes and
/// every reader of its log reads (replay, the monitor, the checkers, spans, metrics, `sagactl`).
///
/// ``data`` encodes a payload to the bytes the log has always held, its members in the order
/// each payload lists them; ``init(type:data:)`` decodes one strictly: a member that is missing
/// or of the wrong kind is a ``SagaEventError`` naming it. Members beyond a payload's are
/// ignored (a `saga.GetSaga` timeline entry carries its `event`, `seq` and `time_ms`).
public enum SagaEvent: Sendable, Equatable {
    /// A saga type's definition, registered under its fingerprint (stream `definition-<fingerprint>`).
    case definitionRegistered(DefinitionRegistered)
    /// The saga began (the first event of stream `saga-<id>`).
    case sagaStarted(SagaStarted)
    /// A step's action succeeded.
    case stepSucceeded(StepSucceeded)
    /// A command of the saga is sent again after a transient failure.
    case stepRetrying(StepRetrying)
    /// A step's action failed (rejected, refused or out of attempts): compensation begins.
    case stepFailed(StepFailed)
    /// A step's compensation succeeded.
    case compensationSucceeded(CompensationSucceeded)
    /// A completion action succeeded.
    case completionSucceeded(CompletionSucceeded)
    /// Every step and completion action succeeded.
    case sagaCompleted(SagaCompleted)
    /// Every succeeded step was compensated.
    case sagaCompensated(SagaCompensated)
    /// A compensation or completion kept failing: an operator must act.
    case sagaStuck(SagaStuck)
    /// An operator resumed a stuck saga.
    case sagaResumed(SagaResumed)

    /// The members of the payloads, by name: the one spelling of each.
    public enum Key: String, Sendable {
        case sagaID = "saga_id", type, definition, context, fingerprint
        case step, name, commandID = "command_id", result, role, kind, index, attempt, reason, delayMs = "delay_ms"
        case message, exhausted, compensateFrom = "compensate_from", durationMs = "duration_ms", failure, round
    }

    /// `DefinitionRegistered`: `type`, `fingerprint`, `definition` (the definition file's form).
    public struct DefinitionRegistered: Sendable, Equatable {
        public var type: String
        public var fingerprint: String
        public var definition: JSON
        public init(type: String, fingerprint: String, definition: JSON) {
            self.type = type
            self.fingerprint = fingerprint
            self.definition = definition
        }
    }

    /// `SagaStarted`: `saga_id`, `type`, `definition` (the fingerprint it runs), `context`.
    public struct SagaStarted: Sendable, Equatable {
        public var sagaID: String
        public var type: String
        public var definition: String
        public var context: JSON
        public init(sagaID: String, type: String, definition: String, context: JSON) {
            self.sagaID = sagaID
            self.type = type
            self.definition = definition
            self.context = context
        }
    }

    /// `StepSucceeded`: `step`, `name`, `command_id`, `result` (the action's reply body or event data).
    public struct StepSucceeded: Sendable, Equatable {
        public var step: Int
        public var name: String
        public var commandID: String
        public var result: JSON
        public init(step: Int, name: String, commandID: String, result: JSON) {
            self.step = step
            self.name = name
            self.commandID = commandID
            self.result = result
        }
    }

    /// `StepRetrying`: `command_id`, `role` (`{kind, step}` or `{kind: "completion", index}`),
    /// `name`, `attempt` (the one about to be sent), `reason`, `delay_ms`.
    public struct StepRetrying: Sendable, Equatable {
        public var commandID: String
        public var role: CommandRole
        public var name: String
        public var attempt: Int
        public var reason: String
        public var delayMs: Int64
        public init(commandID: String, role: CommandRole, name: String, attempt: Int, reason: String, delayMs: Int64) {
            self.commandID = commandID
            self.role = role
            self.name = name
            self.attempt = attempt
            self.reason = reason
            self.delayMs = delayMs
        }
    }

    /// `StepFailed`: `step`, `name`, `command_id`, `reason`, `message`, `exhausted`, and
    /// `compensate_from` only when it is not what `exhausted` implies (the step itself when
    /// exhausted, the one before it otherwise): logs written before it replay alike.
    public struct StepFailed: Sendable, Equatable {
        public var step: Int
        public var name: String
        public var commandID: String
        public var reason: String
        public var message: String
        public var exhausted: Bool
        /// As recorded; ``compensationStart`` is what it means.
        public var compensateFrom: Int?
        public init(step: Int, name: String, commandID: String, reason: String, message: String, exhausted: Bool,
                    compensateFrom: Int? = nil) {
            self.step = step
            self.name = name
            self.commandID = commandID
            self.reason = reason
            self.message = message
            self.exhausted = exhausted
            self.compensateFrom = compensateFrom
        }

        /// The highest step compensation starts from: the recorded `compensate_from`, else the
        /// failed step when it ran out of attempts (it may have applied), else the step before it.
        public var compensationStart: Int { compensateFrom ?? (exhausted ? step : step - 1) }
    }

    /// `CompensationSucceeded`: `step`, `name`, `command_id`.
    public struct CompensationSucceeded: Sendable, Equatable {
        public var step: Int
        public var name: String
        public var commandID: String
        public init(step: Int, name: String, commandID: String) {
            self.step = step
            self.name = name
            self.commandID = commandID
        }
    }

    /// `CompletionSucceeded`: `index` (in `on_complete`), `name`, `command_id`.
    public struct CompletionSucceeded: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var commandID: String
        public init(index: Int, name: String, commandID: String) {
            self.index = index
            self.name = name
            self.commandID = commandID
        }
    }

    /// `SagaCompleted`: `duration_ms` since the start.
    public struct SagaCompleted: Sendable, Equatable {
        public var durationMs: Int64
        public init(durationMs: Int64) { self.durationMs = durationMs }
    }

    /// `SagaCompensated`: `duration_ms` since the start, and `failure` (what started compensation, or `null`).
    public struct SagaCompensated: Sendable, Equatable {
        public var durationMs: Int64
        public var failure: String?
        public init(durationMs: Int64, failure: String?) {
            self.durationMs = durationMs
            self.failure = failure
        }
    }

    /// `SagaStuck`: `reason`, `command_id` (the command that kept failing).
    public struct SagaStuck: Sendable, Equatable {
        public var reason: String
        public var commandID: String
        public init(reason: String, commandID: String) {
            self.reason = reason
            self.commandID = commandID
        }
    }

    /// `SagaResumed`: `round` (the new round of command ids).
    public struct SagaResumed: Sendable, Equatable {
        public var round: Int
        public init(round: Int) { self.round = round }
    }

    /// The event's type.
    public var type: SagaEventType {
        switch self {
        case .definitionRegistered: return .definitionRegistered
        case .sagaStarted: return .sagaStarted
        case .stepSucceeded: return .stepSucceeded
        case .stepRetrying: return .stepRetrying
        case .stepFailed: return .stepFailed
        case .compensationSucceeded: return .compensationSucceeded
        case .completionSucceeded: return .completionSucceeded
        case .sagaCompleted: return .sagaCompleted
        case .sagaCompensated: return .sagaCompensated
        case .sagaStuck: return .sagaStuck
        case .sagaResumed: return .sagaResumed
        }
    }

    /// The command the event is about, for those about one.
    public var commandID: String? {
        switch self {
        case .stepSucceeded(let e): return e.commandID
        case .stepRetrying(let e): return e.commandID
        case .stepFailed(let e): return e.commandID
        case .compensationSucceeded(let e): return e.commandID
        case .completionSucceeded(let e): return e.commandID
        case .sagaStuck(let e): return e.commandID
        case .definitionRegistered, .sagaStarted, .sagaCompleted, .sagaCompensated, .sagaResumed: return nil
        }
    }

    /// The name of the step or completion action the event is about, for those about one.
    public var name: String? {
        switch self {
        case .stepSucceeded(let e): return e.name
        case .stepRetrying(let e): return e.name
        case .stepFailed(let e): return e.name
        case .compensationSucceeded(let e): return e.name
        case .completionSucceeded(let e): return e.name
        case .definitionRegistered, .sagaStarted, .sagaCompleted, .sagaCompensated, .sagaStuck, .sagaResumed: return nil
        }
    }

    // MARK: Encoding

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

    // MARK: Decoding

    /// Reads a recorded event of the orchestrator's log.
    public init(_ event: Event) throws(SagaEventError) {
        guard let type = SagaEventType(rawValue: event.type) else { throw .unknownType(event.type) }
        try self.init(type: type, data: event.data)
    }

    /// Reads a payload of a known type.
    public init(type: SagaEventType, data: JSON) throws(SagaEventError) {
        let d = try Payload(data)
        switch type {
        case .definitionRegistered:
            self = .definitionRegistered(DefinitionRegistered(type: try d.string(.type), fingerprint: try d.string(.fingerprint),
                                                              definition: try d.value(.definition)))
        case .sagaStarted:
            self = .sagaStarted(SagaStarted(sagaID: try d.string(.sagaID), type: try d.string(.type),
                                            definition: try d.string(.definition), context: try d.value(.context)))
        case .stepSucceeded:
            self = .stepSucceeded(StepSucceeded(step: try d.int(.step), name: try d.string(.name), commandID: try d.string(.commandID),
                                                result: try d.value(.result)))
        case .stepRetrying:
            self = .stepRetrying(StepRetrying(commandID: try d.string(.commandID), role: try d.role(.role), name: try d.string(.name),
                                              attempt: try d.int(.attempt), reason: try d.string(.reason), delayMs: try d.int64(.delayMs)))
        case .stepFailed:
            self = .stepFailed(StepFailed(step: try d.int(.step), name: try d.string(.name), commandID: try d.string(.commandID),
                                          reason: try d.string(.reason), message: try d.string(.message),
                                          exhausted: try d.bool(.exhausted), compensateFrom: try d.optionalInt(.compensateFrom)))
        case .compensationSucceeded:
            self = .compensationSucceeded(CompensationSucceeded(step: try d.int(.step), name: try d.string(.name),
                                                                commandID: try d.string(.commandID)))
        case .completionSucceeded:
            self = .completionSucceeded(CompletionSucceeded(index: try d.int(.index), name: try d.string(.name),
                                                            commandID: try d.string(.commandID)))
        case .sagaCompleted:
            self = .sagaCompleted(SagaCompleted(durationMs: try d.int64(.durationMs)))
        case .sagaCompensated:
            self = .sagaCompensated(SagaCompensated(durationMs: try d.int64(.durationMs), failure: try d.optionalString(.failure)))
        case .sagaStuck:
            self = .sagaStuck(SagaStuck(reason: try d.string(.reason), commandID: try d.string(.commandID)))
        case .sagaResumed:
            self = .sagaResumed(SagaResumed(round: try d.int(.round)))
        }
    }

    /// A payload's members, read strictly.
    private struct Payload {
        let members: JSONObject

        init(_ data: JSON) throws(SagaEventError) {
            guard let members = data.objectValue else { throw .notAnObject }
            self.members = members
        }

        func value(_ key: Key) throws(SagaEventError) -> JSON {
            guard let value = members[key.rawValue] else { throw .missing(key.rawValue) }
            return value
        }

        func string(_ key: Key) throws(SagaEventError) -> String {
            guard let text = try value(key).stringValue else { throw .wrongKind(key.rawValue, expected: "a string") }
            return text
        }

        func optionalString(_ key: Key) throws(SagaEventError) -> String? {
            guard let value = members[key.rawValue], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw .wrongKind(key.rawValue, expected: "a string or null") }
            return text
        }

        func int64(_ key: Key) throws(SagaEventError) -> Int64 {
            guard let number = try value(key).intValue else { throw .wrongKind(key.rawValue, expected: "an integer") }
            return number
        }

        func int(_ key: Key) throws(SagaEventError) -> Int {
            let number = try int64(key)
            guard let small = Int(exactly: number), small >= -1, small <= Int(Int32.max) else {
                throw .wrongKind(key.rawValue, expected: "an index")
            }
            return small
        }

        func optionalInt(_ key: Key) throws(SagaEventError) -> Int? {
            guard members[key.rawValue] != nil else { return nil }
            return try int(key)
        }

        func bool(_ key: Key) throws(SagaEventError) -> Bool {
            guard let flag = try value(key).boolValue else { throw .wrongKind(key.rawValue, expected: "a boolean") }
            return flag
        }

        func role(_ key: Key) throws(SagaEventError) -> CommandRole {
            let role = try Payload(try value(key))
            let path = "\(key.rawValue).\(Key.kind.rawValue)"
            guard let kind = role.members[Key.kind.rawValue] else { throw .missing(path) }
            switch kind.stringValue {
            case "action": return .action(step: try role.int(.step))
            case "compensation": return .compensation(step: try role.int(.step))
            case "completion": return .completion(index: try role.int(.index))
            default: throw .wrongKind(path, expected: "action, compensation or completion")
            }
        }
    }
}

/// Why an event could not be read as a ``SagaEvent``.
public enum SagaEventError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The orchestrator writes no event of this type.
    case unknownType(String)
    /// The payload is not a JSON object.
    case notAnObject
    /// A member the payload must have is missing.
    case missing(String)
    /// A member is not of the kind the payload holds there.
    case wrongKind(String, expected: String)

    public var description: String {
        switch self {
        case .unknownType(let type): return "the orchestrator has no event type \(type)"
        case .notAnObject: return "the payload is not an object"
        case .missing(let key): return "\(key) missing"
        case .wrongKind(let key, let expected): return "\(key) must be \(expected)"
        }
    }
}
