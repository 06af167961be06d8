import EventLog
import Foundation
import Logging
import SagaCore
import SagaEngine
import SagaWire
import HostCore

/// An orchestrator engine run in process, as NIOEmbedded runs a channel: the real
/// ``OrchestratorEngine`` over a real saga log in a directory, on virtual time, with every
/// command, answer and publication captured instead of sent. It can be crashed at any moment
/// (or at an injected crash point) and restarted on the same log, as a killed process would be.
package final class EmbeddedOrchestrator {
    /// The engine's configuration.
    package var config: EngineConfiguration
    package let clock: VirtualClock
    /// The running engine; `nil` while crashed.
    package private(set) var engine: OrchestratorEngine?
    /// What the current incarnation sent, answered and published since the last ``takeOutbox()``.
    package private(set) var io = CapturingIO()
    /// Starts so far (1 after the first).
    package private(set) var incarnation = 0
    private let path: String
    private let logger: Logger

    /// A saga log in `directory` for sagas of `definitions` over `services`.
    package init(directory: String, definitions: [SagaDefinition], services: [String], clock: VirtualClock,
                 snapshotEvery: Int = 0, seed: UInt64 = 1) {
        path = (directory as NSString).appendingPathComponent("saga.sqlite")
        self.clock = clock
        config = EngineConfiguration(dataDirectory: directory, services: services, definitions: definitions,
                                     maxInFlight: 1_000_000, snapshotEvery: snapshotEvery, seed: seed, retention: .off)
        logger = Logger(label: "zsaga.embedded", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// Whether an engine is running.
    package var isRunning: Bool { engine != nil }

    /// Starts an incarnation: opens the log and recovers from it. The commands it re-sends are
    /// in the outbox.
    package func start() throws {
        precondition(engine == nil, "start an embedded orchestrator once, or crash it first")
        io = CapturingIO()
        let log = try EventLog(path: path, service: "saga", durability: .processOnly, readModel: SagaBook.readModel)
        engine = try OrchestratorEngine(config: config, log: log, clock: clock, io: io, logger: logger)
        incarnation += 1
    }

    /// Kills the running incarnation: its memory and timers are gone; what it committed stays.
    /// What it had sent stays in the outbox (on the wire).
    package func crash() {
        engine = nil
    }

    /// Hands one iteration's inputs to the engine. An injected crash point kills it (the commands
    /// it had sent stay in the outbox) and is returned; other failures are thrown.
    @discardableResult
    package func handle(_ inputs: OrchestratorInputs) throws -> InjectedCrash? {
        guard let engine else { return nil }
        do {
            try engine.handle(inputs)
            return nil
        } catch let crash as InjectedCrash {
            self.engine = nil
            return crash
        }
    }

    /// Takes what was sent, answered and published since the last call.
    package func takeOutbox() -> CapturingIO.Outbox {
        io.take()
    }

    /// A command from a client of the API (a `route` of one frame naming the client).
    package static func request(_ type: String, id: String, body: JSON, client: String = "client") -> IncomingRequest {
        .command(Command(id: id, type: type, body: body), route: [Array(client.utf8)])
    }
}

/// An ``OrchestratorIO`` that keeps everything the engine sends.
package final class CapturingIO: OrchestratorIO {
    /// What an engine sent out.
    package struct Outbox {
        /// Commands to services, in order.
        package var commands: [(service: String, command: Command)] = []
        /// Queries to services.
        package var queries: [(service: String, query: Query)] = []
        /// Answers to API clients.
        package var replies: [(route: [[UInt8]], message: WireMessage)] = []
        /// Published saga events.
        package var published: [Event] = []
    }

    private var outbox = Outbox()

    package init() {}

    package func take() -> Outbox {
        defer { outbox = Outbox() }
        return outbox
    }

    package func send(_ command: Command, to service: String) { outbox.commands.append((service, command)) }
    package func send(_ query: Query, to service: String) { outbox.queries.append((service, query)) }
    package func reply(route: [[UInt8]], _ message: WireMessage) { outbox.replies.append((route, message)) }
    package func publish(_ events: [Event]) { outbox.published += events }
    package var streamStatus: JSON { [:] }
}
