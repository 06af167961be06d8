/// The types of the orchestrator's events: the names ``SagaEvent``'s cases are recorded under.
public enum SagaEventType: String, Sendable, CaseIterable {
    /// A saga type's definition was registered (stream `definition-<fingerprint>`).
    case definitionRegistered = "DefinitionRegistered"
    /// The saga began: its type, definition fingerprint and context.
    case sagaStarted = "SagaStarted"
    /// A step's action succeeded.
    case stepSucceeded = "StepSucceeded"
    /// A command of the saga is sent again after a transient failure.
    case stepRetrying = "StepRetrying"
    /// A step's action failed (rejected, refused or out of attempts): compensation begins.
    case stepFailed = "StepFailed"
    /// A step's compensation succeeded.
    case compensationSucceeded = "CompensationSucceeded"
    /// A completion action succeeded.
    case completionSucceeded = "CompletionSucceeded"
    /// Every step and completion action succeeded.
    case sagaCompleted = "SagaCompleted"
    /// Every succeeded step was compensated.
    case sagaCompensated = "SagaCompensated"
    /// A compensation or completion kept failing: an operator must act.
    case sagaStuck = "SagaStuck"
    /// An operator resumed a stuck saga.
    case sagaResumed = "SagaResumed"

    /// The type of an event, when it is one of the orchestrator's.
    public init?(_ event: Event) { self.init(rawValue: event.type) }
}
