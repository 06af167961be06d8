import SagaWire
import ServiceModel

extension SagaState {
    /// Applies one of the saga's events. Strict: an event the saga cannot be at in its current
    /// state (a step that is not the one it waits for, a move after it settled, a version out of
    /// line, a payload that is not the type's, …) is a ``DomainError`` naming the stream, the
    /// version and the rule, so a history no orchestrator could have written is refused on replay.
    public mutating func apply(_ event: Event, _ definition: SagaDefinition) throws(DomainError) {
        func refuse(_ rule: String) -> DomainError {
            DomainError("\(event.stream) v\(event.version) \(event.type) #\(event.seq): \(rule)")
        }
        guard let type = SagaEventType(event) else { throw refuse("the orchestrator has no event type \(event.type)") }
        guard event.version == version + 1 else { throw refuse("the saga's stream is at version \(version)") }
        let move: SagaEvent
        do { move = try SagaEvent(type: type, data: event.data) } catch { throw refuse("\(error)") }
        if let rule = refusal(of: move, definition) { throw refuse(rule) }
        fold(move, version: event.version, timeMs: event.metadata.timeMs, definition)
    }

    /// Why the saga cannot make `move` in its current state, or `nil` when it can.
    func refusal(of move: SagaEvent, _ definition: SagaDefinition) -> String? {
        /// The step of a step event must be the step the saga waits for in `phase`.
        func step(_ step: Int, in expected: Int?, _ what: String) -> String? {
            step == expected ? nil : "step \(step) \(what), but the saga is \(status.rawValue) at \(Self.describe(phase))"
        }
        /// The command of an event must be the command of `role` in this round.
        func command(_ recorded: String, of role: CommandRole) -> String? {
            recorded == commandID(role) ? nil : "command \(recorded) is not the saga's \(commandID(role))"
        }
        let moving = status == .running || status == .compensating
        switch move {
        case .definitionRegistered:
            return "a definition's registration is not a saga's event"
        case .sagaStarted:
            return "the saga has started already"
        case .stepSucceeded(let e):
            guard status == .running, case .forward(let current) = phase else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not running a step"
            }
            return step(e.step, in: current, "succeeded") ?? command(e.commandID, of: .action(step: e.step))
        case .stepFailed(let e):
            guard status == .running, case .forward(let current) = phase else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not running a step"
            }
            return step(e.step, in: current, "failed") ?? command(e.commandID, of: .action(step: e.step))
        case .stepRetrying(let e):
            guard moving, let attempt = attempts[e.commandID] else { return "the saga does not wait for command \(e.commandID)" }
            return e.attempt == attempt + 1 ? nil : "attempt \(e.attempt) after attempt \(attempt)"
        case .compensationSucceeded(let e):
            guard status == .compensating, case .compensating(let current) = phase else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not compensating"
            }
            return step(e.step, in: current, "compensated") ?? command(e.commandID, of: .compensation(step: e.step))
        case .completionSucceeded(let e):
            guard status == .running, case .completing(let done) = phase else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not completing"
            }
            guard definition.onComplete.indices.contains(e.index), !done.contains(e.index) else {
                return "completion action \(e.index) is not one the saga waits for"
            }
            return command(e.commandID, of: .completion(index: e.index))
        case .sagaCompleted:
            guard status == .running, case .completing = phase, pendingRoles(definition).isEmpty else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not done"
            }
            return nil
        case .sagaCompensated:
            guard status == .compensating, phase == .finished else {
                return "the saga is \(status.rawValue) at \(Self.describe(phase)), not done compensating"
            }
            return nil
        case .sagaStuck:
            return moving && phase != .finished ? nil : "the saga is \(status.rawValue), it cannot be stuck"
        case .sagaResumed(let e):
            guard status == .stuck else { return "the saga is \(status.rawValue), not stuck" }
            return e.round == round + 1 ? nil : "round \(e.round) after round \(round)"
        }
    }

    /// The move an event makes, once ``apply(_:_:)`` found it possible (or as the machine
    /// records it: it only records possible moves).
    mutating func fold(_ move: SagaEvent, version: Int64, timeMs: Int64, _ definition: SagaDefinition) {
        self.version = version
        updatedMs = timeMs
        // A retry keeps the saga at the fenced step; every other move leaves it.
        if move.type != .stepRetrying { recoveryFence = nil }
        switch move {
        case .definitionRegistered, .sagaStarted:
            break
        case .stepSucceeded(let e):
            succeeded = e.step + 1
            enter(e.step + 1 < definition.steps.count ? .forward(step: e.step + 1) : .completing(done: []), definition)
        case .stepRetrying(let e):
            attempts[e.commandID] = e.attempt
        case .stepFailed(let e):
            status = .compensating
            failure = e.message
            // An exhausted action may have applied: compensate it too; after a restart, perhaps
            // the next step's as well (`compensate_from`, see `Transition.sendsAhead`).
            compensate(atOrBelow: e.compensationStart, definition)
        case .compensationSucceeded(let e):
            compensate(atOrBelow: e.step - 1, definition)
        case .completionSucceeded(let e):
            if case .completing(var done) = phase {
                done.insert(e.index)
                phase = .completing(done: done)
                attempts.removeValue(forKey: commandID(.completion(index: e.index)))
            }
        case .sagaCompleted:
            status = .completed
            phase = .finished
            attempts = [:]
        case .sagaCompensated:
            status = .compensated
            phase = .finished
            attempts = [:]
        case .sagaStuck(let e):
            status = .stuck
            stuckReason = e.reason
            attempts = [:]
        case .sagaResumed(let e):
            round = e.round
            stuckReason = nil
            if case .compensating = phase { status = .compensating } else { status = .running }
            attempts = Dictionary(uniqueKeysWithValues: pendingRoles(definition).map { (commandID($0), 1) })
        }
    }

    private mutating func compensate(atOrBelow step: Int, _ definition: SagaDefinition) {
        if let next = Self.compensable(atOrBelow: step, definition) {
            enter(.compensating(step: next), definition)
        } else {
            phase = .finished
            attempts = [:]
        }
    }

    private mutating func enter(_ phase: SagaPhase, _ definition: SagaDefinition) {
        self.phase = phase
        attempts = Dictionary(uniqueKeysWithValues: pendingRoles(definition).map { (commandID($0), 1) })
    }

    static func describe(_ phase: SagaPhase) -> String {
        switch phase {
        case .forward(let step): return "step \(step)"
        case .completing(let done): return "completion (\(done.count) done)"
        case .compensating(let step): return "compensation of step \(step)"
        case .finished: return "the end"
        }
    }
}
