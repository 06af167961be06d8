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
}
