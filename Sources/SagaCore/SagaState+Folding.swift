import SagaWire
import ServiceModel

extension SagaState {
    /// Applies one of the saga's events. Strict: an event the saga cannot be at in its current
    /// state (a step that is not the one it waits for, a move after it settled, a version out of
    /// line, …) is a ``DomainError`` naming the stream, the version and the rule, so a history
    /// no orchestrator could have written is refused on replay.
    public mutating func apply(_ event: Event, _ definition: SagaDefinition) throws(DomainError) {
        let d = event.data
        func refuse(_ rule: String) -> DomainError {
            DomainError("\(event.stream) v\(event.version) \(event.type) #\(event.seq): \(rule)")
        }
        func int(_ key: String) throws(DomainError) -> Int {
            guard let value = d[key]?.intValue else { throw refuse("\(key) missing") }
            return Int(value)
        }
        /// The `step` of a step event, which must be the step the saga waits for in `phase`.
        func step(in expected: Int?, _ what: String) throws(DomainError) -> Int {
            let step = try int("step")
            guard step == expected else {
                throw refuse("step \(step) \(what), but the saga is \(status.rawValue) at \(Self.describe(phase))")
            }
            return step
        }
        /// The `command_id` of an event, which must be the command of `role` in this round.
        func command(of role: CommandRole) throws(DomainError) {
            let recorded = d["command_id"]?.stringValue
            guard recorded == commandID(role) else {
                throw refuse("command \(recorded ?? "(none)") is not the saga's \(commandID(role))")
            }
        }
        guard let type = SagaEventType(event) else { throw refuse("the orchestrator has no event type \(event.type)") }
        guard event.version == version + 1 else { throw refuse("the saga's stream is at version \(version)") }
        let moving = status == .running || status == .compensating
        switch type {
        case .sagaStarted:
            throw refuse("the saga has started already")
        case .stepSucceeded, .stepFailed:
            guard status == .running, case .forward(let current) = phase else {
                throw refuse("the saga is \(status.rawValue) at \(Self.describe(phase)), not running a step")
            }
            let step = try step(in: current, type == .stepSucceeded ? "succeeded" : "failed")
            try command(of: .action(step: step))
        case .stepRetrying:
            guard moving, let commandID = d["command_id"]?.stringValue, let attempt = attempts[commandID] else {
                throw refuse("the saga does not wait for command \(d["command_id"]?.stringValue ?? "(none)")")
            }
            guard try int("attempt") == attempt + 1 else { throw refuse("attempt \(try int("attempt")) after attempt \(attempt)") }
        case .compensationSucceeded:
            guard status == .compensating, case .compensating(let current) = phase else {
                throw refuse("the saga is \(status.rawValue) at \(Self.describe(phase)), not compensating")
            }
            try command(of: .compensation(step: try step(in: current, "compensated")))
        case .completionSucceeded:
            guard status == .running, case .completing(let done) = phase else {
                throw refuse("the saga is \(status.rawValue) at \(Self.describe(phase)), not completing")
            }
            let index = try int("index")
            guard definition.onComplete.indices.contains(index), !done.contains(index) else {
                throw refuse("completion action \(index) is not one the saga waits for")
            }
            try command(of: .completion(index: index))
        case .sagaCompleted:
            guard status == .running, case .completing = phase, pendingRoles(definition).isEmpty else {
                throw refuse("the saga is \(status.rawValue) at \(Self.describe(phase)), not done")
            }
        case .sagaCompensated:
            guard status == .compensating, phase == .finished else {
                throw refuse("the saga is \(status.rawValue) at \(Self.describe(phase)), not done compensating")
            }
        case .sagaStuck:
            guard moving, phase != .finished else { throw refuse("the saga is \(status.rawValue), it cannot be stuck") }
        case .sagaResumed:
            guard status == .stuck else { throw refuse("the saga is \(status.rawValue), not stuck") }
            guard try int("round") == round + 1 else { throw refuse("round \(try int("round")) after round \(round)") }
        }
        fold(event, type, definition)
    }

    /// The move an event makes, once ``apply(_:_:)`` found it possible (or as the machine
    /// records it: it only records possible moves).
    mutating func fold(_ event: Event, _ type: SagaEventType, _ definition: SagaDefinition) {
        let d = event.data
        let int = { (key: String) in Int(d[key]?.intValue ?? 0) }
        version = event.version
        updatedMs = event.metadata.timeMs
        // A retry keeps the saga at the fenced step; every other move leaves it.
        if type != .stepRetrying { recoveryFence = nil }
        switch type {
        case .sagaStarted:
            break
        case .stepSucceeded:
            let step = int("step")
            succeeded = step + 1
            enter(step + 1 < definition.steps.count ? .forward(step: step + 1) : .completing(done: []), definition)
        case .stepRetrying:
            if let commandID = d["command_id"]?.stringValue { attempts[commandID] = int("attempt") }
        case .stepFailed:
            let step = int("step")
            status = .compensating
            failure = d["message"]?.stringValue ?? d["reason"]?.stringValue
            let exhausted = d["exhausted"]?.boolValue ?? false
            // An exhausted action may have applied: compensate it too; after a restart, perhaps
            // the next step's as well (`compensate_from`, see `Transition.sendsAhead`).
            let start = d["compensate_from"]?.intValue.map(Int.init) ?? (exhausted ? step : step - 1)
            compensate(atOrBelow: start, definition)
        case .compensationSucceeded:
            compensate(atOrBelow: int("step") - 1, definition)
        case .completionSucceeded:
            let index = int("index")
            if case .completing(var done) = phase {
                done.insert(index)
                phase = .completing(done: done)
                attempts.removeValue(forKey: commandID(.completion(index: index)))
            }
        case .sagaCompleted, .sagaCompensated:
            status = type == .sagaCompleted ? .completed : .compensated
            phase = .finished
            attempts = [:]
        case .sagaStuck:
            status = .stuck
            stuckReason = d["reason"]?.stringValue
            attempts = [:]
        case .sagaResumed:
            round = int("round")
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
