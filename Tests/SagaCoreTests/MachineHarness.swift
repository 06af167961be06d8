import BuiltInSagas
import Domain
import SagaWire
@testable import SagaCore

/// Runs one saga through the pure state machine, recording every event the way the
/// orchestrator's log would, so tests can compare the live state with a replay.
struct SagaRun {
    let definition: SagaDefinition
    var state: SagaState
    var events: [Event] = []
    var effects: [SagaEffect] = []
    /// Whether the last transition's sends may go ahead of its commit.
    var sendsAhead = false
    var now: Int64 = 10_000
    var unit = 0.5

    init(_ definition: SagaDefinition = .order, id: String = "s1", context: JSON? = nil) {
        self.definition = definition
        let ctx = context ?? (try! definition.validateContext(
            ["user_id": "u1", "items": [["item_id": "item1", "quantity": 2, "price_cents": 1000]]], sagaID: id))
        let (state, transition) = SagaMachine.start(id: id, definition: definition, context: ctx, now: now)
        self.state = state
        record(transition)
    }

    mutating func record(_ transition: Transition) {
        for newEvent in transition.events {
            events.append(Event(seq: Int64(events.count + 1), stream: SagaState.stream(state.id), version: Int64(events.count + 1),
                                type: newEvent.type, data: newEvent.data,
                                metadata: EventMetadata(correlationID: newEvent.correlationID, causationID: newEvent.causationID,
                                                        service: "saga", timeMs: newEvent.timeMs)))
        }
        effects = transition.effects
        sendsAhead = transition.sendsAhead
    }

    /// Feeds an outcome; returns the events it recorded (types only).
    @discardableResult
    mutating func outcome(_ commandID: String, _ outcome: CommandOutcome, attempt: Int? = nil) -> [String] {
        now += 5
        let transition = SagaMachine.handle(&state, definition, commandID: commandID, outcome: outcome, attempt: attempt,
                                            now: now, unit: unit)
        record(transition)
        return transition.events.map(\.type)
    }

    /// Recovers the saga as a restarted orchestrator would (setting its recovery fence);
    /// returns the command ids it re-sends.
    @discardableResult
    mutating func recover() -> [String] {
        effects = SagaMachine.recover(&state, definition)
        sendsAhead = false
        return sent
    }

    /// Acknowledges whatever the saga sends next, one command at a time, until it sends nothing;
    /// returns the command types in the order they went out (the compensations, after a failure).
    mutating func acknowledgeAll() -> [String] {
        var types: [String] = []
        while let next = sent.first {
            types.append(sentTypes[0])
            outcome(next, .ok([:]))
        }
        return types
    }

    /// The command ids the last transition sends, in order.
    var sent: [String] {
        effects.compactMap { if case .send(let command, _, _) = $0 { return command.command.id } else { return nil } }
    }

    var sentTypes: [String] {
        effects.compactMap { if case .send(let command, _, _) = $0 { return command.command.type } else { return nil } }
    }

    var settled: SagaStatus? {
        effects.compactMap { if case .settled(let status) = $0 { return status } else { return nil } }.first
    }

    /// The state rebuilt from the recorded events, as recovery does.
    func replayed() throws -> SagaState {
        var book = SagaBook()
        _ = try book.apply(Event(seq: 0, stream: SagaBook.definitionStream(definition.fingerprint), version: 1,
                                 type: "DefinitionRegistered", data: SagaBook.registration(definition, now: 0).data,
                                 metadata: EventMetadata(service: "saga", timeMs: 0)))
        var summary: SagaSummary?
        for event in events {
            for case .put(_, _, _, let document) in try book.apply(event) { summary = SagaSummary(json: document) }
        }
        return book.active[state.id] ?? SagaState(id: state.id, summary: summary!)
    }
}

extension SagaState {
    /// For comparing a settled saga (kept only as a summary) with a live one.
    init(id: String, summary: SagaSummary) {
        self.init(placeholder: id)
        status = summary.status
        failure = summary.failure
        stuckReason = summary.stuckReason
    }

    private init(placeholder id: String) {
        let started = Event(seq: 1, stream: "saga-\(id)", version: 1, type: "SagaStarted",
                            data: ["saga_id": .string(id), "type": "x", "definition": "x", "context": [:]],
                            metadata: EventMetadata(service: "saga", timeMs: 0))
        try! self.init(started: started, .order)
    }
}
