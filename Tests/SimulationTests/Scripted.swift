import BuiltInSagas
import Foundation
import SagaCore
import SagaEngine
import SagaSimulation
import SagaWire
import HostCore

/// An embedded orchestrator among simulated participants, driven by hand: each call is one
/// batch with exactly the inputs a test gives it. Every command the engine sends reaches its
/// participant at once, unless the test holds it back; replies and events come back only when
/// the test hands them to a batch.
final class Scripted {
    let clock = VirtualClock()
    let directory: String
    let orchestrator: EmbeddedOrchestrator
    let participants: [String: SimulatedParticipant]
    /// Replies the participants sent, not yet handed to the engine.
    var replies: [(service: String, message: WireMessage)] = []
    /// Per service, the last sequence number handed to the current incarnation.
    var cursors: [String: Int64] = [:]
    /// Services that answer nothing (their commands are lost).
    var frozen: Set<String> = []

    init(definitions: [SagaDefinition] = [.order]) throws {
        directory = NSTemporaryDirectory() + "zsaga-scripted-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let services = Array(Set(definitions.flatMap { $0.steps.map(\.service) + $0.onComplete.map(\.service) })).sorted()
        orchestrator = EmbeddedOrchestrator(directory: directory, definitions: definitions, services: services, clock: clock)
        participants = Dictionary(uniqueKeysWithValues: services.map { ($0, SimulatedParticipant(name: $0, definitions: definitions)) })
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var engine: OrchestratorEngine { orchestrator.engine! }

    /// Starts (or restarts) the engine; its streams resume at its saved positions (a stream
    /// without one starts at the head, as a new subscriber does). Returns the ids it re-sent.
    @discardableResult
    func start() throws -> [String] {
        try orchestrator.start()
        replies = []
        for (name, participant) in participants { cursors[name] = engine.recoveredPositions[name] ?? participant.head }
        return deliver()
    }

    /// Delivers what the engine sent to the participants; returns the command ids.
    @discardableResult
    func deliver() -> [String] {
        let outbox = orchestrator.takeOutbox()
        for (service, command) in outbox.commands where !frozen.contains(service) {
            let (reply, _) = participants[service]!.process(command, now: clock.wallClockMs(), unit: 1)
            replies.append((service, reply))
        }
        return outbox.commands.map(\.command.id)
    }

    /// The participants' events the current incarnation has not been handed yet, in log order
    /// per service.
    func pendingEvents(_ services: [String]? = nil) -> [Event] {
        (services ?? participants.keys.sorted()).flatMap { participants[$0]!.events(from: cursors[$0, default: 0] + 1) }
    }

    /// One batch: the given requests, the pending replies when `withReplies`, and `events`
    /// (which advance the cursors). An injected crash at `crash` kills the engine, after its
    /// sent-ahead commands went out. Returns the crash, if any, and the ids sent.
    @discardableResult
    func batch(requests: [IncomingRequest] = [], withReplies: Bool = true, events: [Event] = [],
               crash: FaultSpec.CrashPoint? = nil) throws -> (crash: InjectedCrash?, sent: [String]) {
        var spec = FaultSpec()
        if let crash { spec.crashRates[crash] = 1 }
        engine.faults = FaultInjector(spec)
        for event in events { cursors[event.metadata.service] = max(cursors[event.metadata.service, default: 0], event.seq) }
        let inputs = OrchestratorInputs(requests: requests, replies: withReplies ? replies : [], events: events, positions: cursors)
        if withReplies { replies = [] }
        let crashed = try orchestrator.handle(inputs)
        return (crashed, deliver())
    }

    /// Moves time to the next timer and runs that batch; returns the ids sent.
    @discardableResult
    func fireNextTimer() throws -> [String] {
        guard let due = engine.nextTimerDue else { return [] }
        clock.advance(to: due)
        return try batch(withReplies: false).sent
    }

    func status(_ saga: String) -> SagaStatus? { (try? engine.summary(of: saga))??.status }

    func record(_ saga: String, step: Int, of definition: SagaDefinition = .order) -> SimulatedParticipant.StepRecord {
        participants[definition.steps[step].service]!.steps[.init(sagaID: saga, step: step)] ?? .init()
    }

    static func start(_ saga: String, type: String = "order") -> IncomingRequest {
        EmbeddedOrchestrator.request("saga.StartSaga", id: "start-\(saga)", body: [
            "type": .string(type), "saga_id": .string(saga),
            "context": ["user_id": "u1", "items": [["item_id": "item1", "quantity": 1, "price_cents": 500]]],
        ])
    }
}
