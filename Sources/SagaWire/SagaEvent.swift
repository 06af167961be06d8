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
