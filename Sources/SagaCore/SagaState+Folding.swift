import SagaWire
import ServiceModel

extension SagaState {
    /// Applies one of the saga's events. Strict: an event the saga cannot be at in its current
    /// state (a step that is not one it waits for, a move after it settled, a version out of
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
        let position = self.position(definition)
        /// A step event's node must be one whose action runs.
        func running(_ step: Int, _ what: String) -> String? {
            guard status == .running, !nodes(NodeStatus.Action.running).isEmpty else {
                return "the saga is \(status.rawValue) at \(position), not running a step"
            }
            guard nodes(NodeStatus.Action.running).contains(step) else {
                return "step \(step) \(what), but the saga is \(status.rawValue) at \(position)"
            }
            return nil
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
            return running(e.step, "succeeded") ?? command(e.commandID, of: .action(step: e.step))
        case .stepFailed(let e):
            if let refusal = running(e.step, "failed") ?? command(e.commandID, of: .action(step: e.step)) { return refusal }
            let start = e.compensationStart
            return start < 0 || definition.graph.node(start) != nil ? nil : "compensate_from \(start) is not a step"
        case .stepRetrying(let e):
            guard moving, let attempt = attempts[e.commandID] else { return "the saga does not wait for command \(e.commandID)" }
            return e.attempt == attempt + 1 ? nil : "attempt \(e.attempt) after attempt \(attempt)"
        case .compensationSucceeded(let e):
            let compensating = nodes(NodeStatus.Compensation.running)
            guard status == .compensating, !compensating.isEmpty else {
                return "the saga is \(status.rawValue) at \(position), not compensating"
            }
            guard compensating.contains(e.step) else {
                return "step \(e.step) compensated, but the saga is \(status.rawValue) at \(position)"
            }
            return command(e.commandID, of: .compensation(step: e.step))
        case .completionSucceeded(let e):
            guard status == .running, allSucceeded else {
                return "the saga is \(status.rawValue) at \(position), not completing"
            }
            guard definition.graph.completions.indices.contains(e.index), !completionsDone.contains(e.index) else {
                return "completion action \(e.index) is not one the saga waits for"
            }
            return command(e.commandID, of: .completion(index: e.index))
        case .sagaCompleted:
            guard status == .running, allSucceeded, pendingRoles(definition).isEmpty else {
                return "the saga is \(status.rawValue) at \(position), not done"
            }
            return nil
        case .sagaCompensated:
            guard status == .compensating, isFinished else {
                return "the saga is \(status.rawValue) at \(position), not done compensating"
            }
            return nil
        case .sagaStuck:
            return moving && !isFinished ? nil : "the saga is \(status.rawValue), it cannot be stuck"
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
        // A retry keeps the saga where it is fenced; every other move leaves it.
        if move.type != .stepRetrying { mayHaveRunAhead = NodeSet() }
        let graph = definition.graph
        switch move {
        case .definitionRegistered, .sagaStarted:
            break
        case .stepSucceeded(let e):
            let before = nodes(NodeStatus.Action.succeeded)
            nodes[e.step].action = .succeeded
            attempts.removeValue(forKey: commandID(.action(step: e.step)))
            for ready in graph.readyAfter(e.step, succeeded: before) where nodes[ready].action == .waiting {
                start(.action(step: ready))
            }
            if allSucceeded {
                for index in graph.completions.indices { attempts[commandID(.completion(index: index))] = 1 }
            }
        case .stepRetrying(let e):
            attempts[e.commandID] = e.attempt
        case .stepFailed(let e):
            status = .compensating
            failure = e.message
            nodes[e.step].action = e.exhausted ? .exhausted : .rejected
            attempts = [:]
            // Compensation goes down from `compensationStart`: an exhausted action may have
            // applied, so its own compensation is owed; after a restart, perhaps the next
            // step's as well (`compensate_from`, see `Transition.sendsAhead`). In file order,
            // every step at or below it with a compensation owes one.
            for index in graph.compensable where index <= e.compensationStart { nodes[index].compensation = .owed }
            startCompensations(graph)
        case .compensationSucceeded(let e):
            nodes[e.step].compensation = .done
            attempts.removeValue(forKey: commandID(.compensation(step: e.step)))
            startCompensations(graph)
        case .completionSucceeded(let e):
            completionsDone.insert(e.index)
            attempts.removeValue(forKey: commandID(.completion(index: e.index)))
        case .sagaCompleted:
            status = .completed
            attempts = [:]
        case .sagaCompensated:
            status = .compensated
            attempts = [:]
        case .sagaStuck(let e):
            status = .stuck
            stuckReason = e.reason
            attempts = [:]
        case .sagaResumed(let e):
            round = e.round
            stuckReason = nil
            status = nodes.contains { $0.compensation == .running } ? .compensating : .running
            attempts = Dictionary(uniqueKeysWithValues: pendingRoles(definition).map { (commandID($0), 1) })
        }
    }

    /// Sends every owed compensation none of whose later nodes still owes one or runs one: in a
    /// chain, the highest owed.
    private mutating func startCompensations(_ graph: SagaGraph) {
        let pending = nodes(NodeStatus.Compensation.owed).union(nodes(NodeStatus.Compensation.running))
        for index in nodes(NodeStatus.Compensation.owed) where graph.nodes[index].descendants.intersection(pending).isEmpty {
            start(.compensation(step: index))
        }
    }
}
