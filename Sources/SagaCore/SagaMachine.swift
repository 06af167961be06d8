import ServiceModel
import SagaWire

/// What happened to one of a saga's commands: the input of the state machine.
public enum CommandOutcome: Sendable, Equatable {
    /// The command took effect (reply `ok`, or one of the step's ok events).
    case ok(JSON)
    /// A business rule refused it (reply `rejected`, or one of the step's rejected events).
    case rejected(reason: String, message: String)
    /// The service refused the request itself (an `error` reply).
    case error(ErrorCode, message: String)
    /// No outcome arrived within the attempt's timeout.
    case timedOut

    /// Whether retrying the same command can help: timeouts and `unavailable`, `overloaded`,
    /// `internal` errors. Every other error means the request itself is wrong.
    public var isTransient: Bool {
        switch self {
        case .timedOut: return true
        case .error(let code, _): return code == .unavailable || code == .overloaded || code == .internal
        case .ok, .rejected: return false
        }
    }

    var summary: String {
        switch self {
        case .ok: return "ok"
        case .rejected(let reason, let message): return "\(reason): \(message)"
        case .error(let code, let message): return "\(code.rawValue): \(message)"
        case .timedOut: return "timeout"
        }
    }
}

/// What the driver must do after a transition; done once its events are committed (or, for a
/// transition that ``Transition/sendsAhead``, while they are being committed).
public enum SagaEffect: Sendable, Equatable {
    /// Send a command after `delayMs` and expect its outcome within its policy's timeout.
    case send(SagaCommand, attempt: Int, delayMs: Int64)
    /// The saga reached a resting state: tell whoever waits for it.
    case settled(SagaStatus)
}

/// The events to record and the effects to carry out for one input.
public struct Transition: Sendable, Equatable {
    /// The events to append, in order.
    public var events: [NewEvent] = []
    /// The same events, typed (what metrics, spans and logs read).
    public var moves: [SagaEvent] = []
    public var effects: [SagaEffect] = []
    /// Whether the driver may send this transition's commands before its events are durable, so
    /// that the orchestrator's commit overlaps the next service's work instead of preceding it.
    ///
    /// Only the next step's action after a step succeeded goes ahead. It is safe because nothing
    /// is replied or published before the commit, and a crash in between leaves the log one step
    /// behind: recovery re-sends the succeeded step (whose service answers with its recorded
    /// outcome) and then the next one with the same command id, which its service applies at
    /// most once. The one decision the gap could change, compensating a step that runs out of
    /// attempts after such a restart, also compensates the step after it (the saga's
    /// ``SagaState/mayHaveRunAhead``). A driver sends at most one transition of a saga ahead per
    /// commit, so the log is never more than one step behind (docs/FAULTS.md). `SagaStarted` (an orphan first step could never be compensated),
    /// compensations and completion actions (which cannot be undone) always wait for the commit.
    public var sendsAhead = false
    public init() {}

    /// Appends a move of saga `sagaID`, typed and as it is appended.
    mutating func record(_ move: SagaEvent, sagaID: String, now: Int64) {
        moves.append(move)
        events.append(move.newEvent(sagaID: sagaID, timeMs: now))
    }
}

/// The saga state machine: pure functions from a saga's state and an input to the events that
/// record the move and the effects that carry it out. No sockets, clocks or randomness: time
/// and a uniform random number (for backoff jitter) come in as arguments.
public enum SagaMachine {
    /// Starts a saga: `SagaStarted`, then the first step's action.
    public static func start(id: String, definition: SagaDefinition, context: JSON, now: Int64) -> (SagaState, Transition) {
        let started = SagaEvent.sagaStarted(.init(sagaID: id, type: definition.type, definition: definition.fingerprint, context: context))
        // The same state recovery rebuilds from that event.
        let state = SagaState(id: id, type: definition.type, definition: definition, context: context, startedMs: now)
        var transition = Transition()
        transition.record(started, sagaID: id, now: now)
        transition.effects = state.pending(definition).map { .send($0, attempt: 1, delayMs: 0) }
        return (state, transition)
    }

    /// Handles the outcome of `commandID`. Outcomes of commands the saga no longer waits for
    /// (duplicates, late replies, stale timeouts) change nothing.
    ///
    /// - Parameters:
    ///   - attempt: for ``CommandOutcome/timedOut``, the attempt that timed out; a timeout of an
    ///     older attempt is ignored.
    ///   - unit: a uniform random number in [0, 1) for backoff jitter.
    ///
    /// When the saga was recovered waiting for this step's action (its
    /// ``SagaState/mayHaveRunAhead``), an earlier incarnation may have seen the step succeed and
    /// sent the actions its success made ready ahead of its log. If the step now runs out of
    /// attempts, those are compensated too: a no-op that fences one whose action never arrived,
    /// an undo of one that did.
    public static func handle(_ state: inout SagaState, _ definition: SagaDefinition, commandID: String,
                              outcome: CommandOutcome, attempt: Int? = nil, now: Int64, unit: Double) -> Transition {
        var t = Transition()
        let pending = state.pendingRoles(definition)
        guard let role = pending.first(where: { state.commandID($0) == commandID }),
              let current = state.attempts[commandID] else { return t }
        let sentBefore = Set(pending.map(state.commandID))
        if case .timedOut = outcome, let attempt, attempt != current { return t }

        if outcome.isTransient {
            let retry = SagaState.retry(role, definition)
            if current < retry.maxAttempts {
                let delay = retry.delay(afterAttempt: current, unit: unit)
                record(&state, &t, definition, .stepRetrying(.init(
                    commandID: commandID, role: role, name: name(role, definition), attempt: current + 1, reason: outcome.summary,
                    delayMs: delay)), now)
                t.effects.append(.send(state.command(role, definition), attempt: current + 1, delayMs: delay))
                return t
            }
            switch role {
            case .action(let step):
                let ahead = definition.graph.readyAfter(step, succeeded: state.nodes(.succeeded)).intersection(state.mayHaveRunAhead)
                fail(&state, &t, definition, step: step, commandID: commandID, reason: "exhausted",
                     message: "\(name(role, definition)) failed after \(current) attempts (last: \(outcome.summary))",
                     exhausted: true, compensateFrom: ahead.highest ?? step, sentBefore, now)
            case .compensation, .completion:
                stick(&state, &t, definition, commandID: commandID,
                      reason: "\(name(role, definition)) failed after \(current) attempts (last: \(outcome.summary))", now)
            }
            return t
        }

        switch (role, outcome) {
        case (.action(let step), .ok(let body)):
            record(&state, &t, definition, .stepSucceeded(.init(step: step, name: name(role, definition), commandID: commandID,
                                                                 result: body)), now)
            advance(&state, &t, definition, now, sentBefore)
            // The actions this success made ready go ahead of the commit (not the completion group).
            if state.status == .running && !state.nodes(NodeStatus.Action.running).isEmpty { t.sendsAhead = true }
        case (.action(let step), .rejected(let reason, let message)):
            fail(&state, &t, definition, step: step, commandID: commandID, reason: reason,
                 message: "\(name(role, definition)) rejected: \(message)", exhausted: false, compensateFrom: step - 1, sentBefore, now)
        case (.action(let step), .error(let code, let message)):
            fail(&state, &t, definition, step: step, commandID: commandID, reason: code.rawValue,
                 message: "\(name(role, definition)) refused: \(code.rawValue): \(message)", exhausted: false,
                 compensateFrom: step - 1, sentBefore, now)
        case (.compensation(let step), .ok):
            record(&state, &t, definition, .compensationSucceeded(.init(step: step, name: name(.action(step: step), definition),
                                                                         commandID: commandID)), now)
            advance(&state, &t, definition, now, sentBefore)
        case (.completion(let index), .ok):
            record(&state, &t, definition, .completionSucceeded(.init(index: index, name: name(role, definition),
                                                                       commandID: commandID)), now)
            // The other completion actions are still in flight: nothing new to send.
            advance(&state, &t, definition, now, sentBefore)
        case (.compensation, _), (.completion, _):
            // A refused compensation or completion will be refused again: an operator must look.
            stick(&state, &t, definition, commandID: commandID,
                  reason: "\(name(role, definition)) refused: \(outcome.summary)", now)
        case (_, .timedOut):
            break // handled above as transient
        }
        return t
    }

    /// Resumes a stuck saga (the operator's `sagactl retry`): a new round of command ids.
    public static func resume(_ state: inout SagaState, _ definition: SagaDefinition, now: Int64) -> Transition? {
        guard state.status == .stuck else { return nil }
        var t = Transition()
        record(&state, &t, definition, .sagaResumed(.init(round: state.round + 1)), now)
        advance(&state, &t, definition, now, [])
        return t
    }

    /// Resumes a saga after a restart: sets its recovery fence to the actions the success of a
    /// running action would make ready (an earlier incarnation may have sent them ahead of its
    /// log), and returns the commands to re-send, with the same ids and attempt numbers.
    public static func recover(_ state: inout SagaState, _ definition: SagaDefinition) -> [SagaEffect] {
        if state.status == .running {
            let succeeded = state.nodes(.succeeded)
            var ahead = NodeSet()
            for running in state.nodes(NodeStatus.Action.running) {
                ahead = ahead.union(definition.graph.readyAfter(running, succeeded: succeeded))
            }
            state.mayHaveRunAhead = ahead
        }
        return state.pending(definition).map { .send($0, attempt: state.attempts[$0.command.id] ?? 1, delayMs: 0) }
    }

    // MARK: Moves

    /// After a move: send the commands the saga now waits for that it did not wait for before
    /// (`sentBefore`: their ids), or settle when it waits for nothing.
    private static func advance(_ state: inout SagaState, _ t: inout Transition, _ definition: SagaDefinition,
                                _ now: Int64, _ sentBefore: Set<String>) {
        let pending = state.pendingRoles(definition)
        if !pending.isEmpty {
            for role in pending where !sentBefore.contains(state.commandID(role)) {
                t.effects.append(.send(state.command(role, definition), attempt: 1, delayMs: 0))
            }
            return
        }
        let duration = now - state.startedMs
        if state.status == .running {
            record(&state, &t, definition, .sagaCompleted(.init(durationMs: duration)), now)
            t.effects.append(.settled(.completed))
        } else {
            record(&state, &t, definition, .sagaCompensated(.init(durationMs: duration, failure: state.failure)), now)
            t.effects.append(.settled(.compensated))
        }
    }

    private static func fail(_ state: inout SagaState, _ t: inout Transition, _ definition: SagaDefinition, step: Int,
                             commandID: String, reason: String, message: String, exhausted: Bool, compensateFrom: Int,
                             _ sentBefore: Set<String>, _ now: Int64) {
        // `compensate_from` is recorded only when it differs from what `exhausted` implies, so
        // older logs replay alike.
        record(&state, &t, definition, .stepFailed(.init(
            step: step, name: name(.action(step: step), definition), commandID: commandID, reason: reason, message: message,
            exhausted: exhausted, compensateFrom: compensateFrom != (exhausted ? step : step - 1) ? compensateFrom : nil)), now)
        advance(&state, &t, definition, now, sentBefore)
    }

    private static func stick(_ state: inout SagaState, _ t: inout Transition, _ definition: SagaDefinition,
                              commandID: String, reason: String, _ now: Int64) {
        record(&state, &t, definition, .sagaStuck(.init(reason: reason, commandID: commandID)), now)
        t.effects.append(.settled(.stuck))
    }

    /// Appends an event to the transition and folds it into the state, exactly as replay will.
    private static func record(_ state: inout SagaState, _ t: inout Transition, _ definition: SagaDefinition,
                               _ move: SagaEvent, _ now: Int64) {
        t.record(move, sagaID: state.id, now: now)
        // The machine records only moves it may make: folded as replay folds them, unchecked.
        state.fold(move, version: state.version + 1, timeMs: now, definition)
    }

    private static func name(_ role: CommandRole, _ definition: SagaDefinition) -> String {
        switch role {
        case .action(let index): return definition.graph.nodes[index].step.name
        case .compensation(let index): return "compensation of \(definition.graph.nodes[index].step.name)"
        case .completion(let index): return definition.graph.completions[index].name
        }
    }
}
