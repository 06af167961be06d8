import SagaCore
import SagaWire
import HostCore

/// Routing what the services send back (replies on the DEALERs, events on the streams, and
/// timeouts) to the saga state machine.
extension OrchestratorEngine {
    /// A message from a service's DEALER: a command's reply or error, or a query's result.
    func take(_ message: WireMessage, from service: String, _ batch: inout OrchestratorBatch, now: Int64) {
        switch message {
        case .result(let result):
            for key in contextChecks.keys { contextChecks[key]?.learn(result) }
        case .reply(let reply):
            let outcome: CommandOutcome = reply.outcome == .ok
                ? .ok(reply.body) : .rejected(reason: reply.reason ?? "rejected", message: reply.message ?? "")
            handle(commandID: reply.inReplyTo, outcome: outcome, &batch, now: now)
        case .error(let error):
            guard let commandID = error.inReplyTo else { return }
            handle(commandID: commandID, outcome: .error(error.code, message: error.message), &batch, now: now)
        default:
            return
        }
    }

    /// An event of a service, delivered once and in order: the outcome of a step (or of its
    /// compensation) it reports.
    func take(_ event: Event, _ batch: inout OrchestratorBatch, now: Int64) {
        for key in contextChecks.keys { contextChecks[key]?.learn(event) }
        guard let commandID = event.metadata.causationID,
              let sagaID = SagaCommandID.sagaID(in: commandID), let state = book.active[sagaID],
              let definition = book.definition(of: state),
              let role = state.pendingRole(ofCommand: commandID, definition) else { return }
        if case .compensation(let index) = role, definition.graph.nodes[index].step.compensationOkEvents.contains(event.type) {
            handle(commandID: commandID, outcome: .ok(event.data), &batch, now: now)
            return
        }
        guard case .action(let index) = role else { return }
        let stepDefinition = definition.graph.nodes[index].step
        if stepDefinition.okEvents.contains(event.type) {
            handle(commandID: commandID, outcome: .ok(event.data), &batch, now: now)
        } else if stepDefinition.rejectedEvents.contains(event.type) {
            handle(commandID: commandID, outcome: .rejected(
                reason: event.data["reason"]?.stringValue ?? event.type,
                message: event.data["message"]?.stringValue ?? event.type), &batch, now: now)
        }
    }

    /// The outcome of one of a saga's commands, through the state machine into the batch.
    func handle(commandID: String, outcome: CommandOutcome, attempt: Int? = nil, _ batch: inout OrchestratorBatch, now: Int64) {
        guard let sagaID = SagaCommandID.sagaID(in: commandID), var state = book.active[sagaID],
              let definition = book.definition(of: state) else { return }
        let before = state.version
        let transition = SagaMachine.handle(&state, definition, commandID: commandID, outcome: outcome, attempt: attempt,
                                            now: clock.wallClockMs(), unit: random.nextUnit())
        guard !transition.events.isEmpty || !transition.effects.isEmpty else { return }
        batch.record(sagaID, versionBefore: before, transition, writes: book.update(state))
        observer.observe(transition, sagaID: sagaID, logger: logger)
    }
}
