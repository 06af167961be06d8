import SagaCore
import SagaEngine
import EventLog
import Foundation
import Logging
import SagaWire
import ServiceKit
import ZeroMQ

/// The saga orchestrator's reactor: the client API, a DEALER to every service, a SUB on every
/// service's events, all on one thread, around an ``OrchestratorEngine`` that owns the sagas.
///
/// Each iteration drains requests, replies and events into one ``OrchestratorInputs`` and hands
/// it to the engine, which decides, commits once and then sends through the sockets here.
public final class OrchestratorHost {
    private let logger: Logger
    private let sockets: BoundSockets
    private let io: SocketIO
    private var engine: OrchestratorEngine!
    private var streams: StreamSubscriber!
    private let maxBatch: Int

    /// The endpoints actually bound.
    public var endpoints: (router: String, pub: String) { (sockets.router.endpoint, sockets.publisher.endpoint) }

    /// Opens the saga log in the configuration's data directory, binds the sockets and recovers.
    public convenience init(config: OrchestratorConfiguration, logger: Logger) throws {
        try self.init(config: config, context: try ZMQContext(), clock: SystemClock(), logger: logger)
    }

    /// Binds the sockets in `context`, recovers from the log on `clock`, and resumes every saga.
    package init(config: OrchestratorConfiguration, context: ZMQContext, clock: any HostClock, logger: Logger) throws {
        self.logger = logger
        maxBatch = config.maxBatch
        for definition in config.definitions {
            for service in definition.services
            where config.services[service] == nil {
                throw HostError.configuration("saga type \(definition.type) uses service \(service), which has no endpoint")
            }
        }
        let log = try EventLog(path: (config.dataDirectory as NSString).appendingPathComponent("saga.sqlite"), service: "saga",
                               readModel: SagaBook.readModel)
        let metrics = HostMetrics(service: "saga")
        sockets = try BoundSockets(context: context, config: config, source: "saga", metrics: metrics, logger: logger)
        var dealers: [String: ZMQSocket] = [:]
        for (service, endpoints) in config.services.sorted(by: { $0.key < $1.key }) {
            let dealer = try ZMQSocket(context, .dealer)
            try dealer.setSendHighWaterMark(100_000)
            try dealer.setReceiveHighWaterMark(100_000)
            try dealer.setHeartbeat(interval: 2000, timeout: 6000, ttl: 6000)
            if let keys = config.keys { try keys.secureClient(dealer, server: service) }
            try dealer.connect(endpoints.router)
            dealers[service] = dealer
        }
        io = SocketIO(sockets: sockets, dealers: dealers, logger: logger)
        engine = try OrchestratorEngine(config: config.engine, log: log, clock: clock, io: io, metrics: metrics, logger: logger)
        streams = try StreamSubscriber(
            context: context,
            sources: config.services.map { StreamSubscriber.Source(name: $0.key, router: $0.value.router, pub: $0.value.pub) },
            positions: engine.recoveredPositions, logger: logger, keys: config.keys)
        io.streams = streams
        let recovery = engine.recovery
        logger.info("recovered sagas from the log", metadata: [
            "head": "\(engine.head)", "snapshots": "\(recovery.snapshots)", "replayed": "\(recovery.replayed)",
            "active": "\(engine.sagas.active.count)", "resumed": "\(recovery.resumed)",
            "stuck": "\(engine.sagas.activeCounts[.stuck, default: 0])", "projected": "\(recovery.projected)", "ms": "\(recovery.ms)",
            "router": "\(sockets.router.endpoint)", "pub": "\(sockets.publisher.endpoint)",
        ])
    }

    /// Runs until a ``ControlMessage/stop`` arrives in `mailbox`. An injected crash point
    /// aborts the process, as a real crash would.
    public func run(mailbox: Mailbox<ControlMessage>) throws {
        var poller = ZMQPoller()
        poller.add(sockets.router.socket)
        for socket in streams.sockets { poller.add(socket) }
        let dealerList = io.dealers.sorted { $0.key < $1.key }
        for (_, dealer) in dealerList { poller.add(dealer) }
        let wakeIndex = poller.add(fileDescriptor: mailbox.wakeup.readFD)
        sockets.pollAuthentication(with: &poller)
        var stopping = false
        while !stopping {
            let before = monotonicMs()
            let nextHeartbeat = sockets.heartbeatIfDue(head: engine.head, now: before)
            let until = min(nextHeartbeat, engine.nextTimerDue ?? nextHeartbeat)
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, until - before))) else { continue }
            if poller.isReadable(wakeIndex) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            var inputs = OrchestratorInputs()
            while inputs.requests.count < maxBatch, let request = try sockets.router.next() { inputs.requests.append(request) }
            for (service, dealer) in dealerList {
                while let frames = try dealer.tryReceive() {
                    guard let body = frames.last, let message = try? WireCodec.decode(body) else { continue }
                    inputs.replies.append((service, message))
                }
            }
            inputs.events = try streams.drain(now: monotonicMs())
            inputs.positions = streams.positions
            do {
                try engine.handle(inputs)
            } catch let crash as InjectedCrash {
                // Let the I/O thread put the sent-ahead commands on the wire: the window this point models.
                if crash.point == .afterSendAhead { usleep(50_000) }
                crashNow(crash.point, process: "saga-orchestrator")
            }
        }
        logger.info("stopping", metadata: ["head": "\(engine.head)", "in_flight": "\(engine.inFlight)"])
        sockets.close()
        streams.close()
        for dealer in io.dealers.values { dealer.close() }
    }
}

/// The engine's view of the reactor's sockets.
private final class SocketIO: OrchestratorIO {
    let sockets: BoundSockets
    let dealers: [String: ZMQSocket]
    let logger: Logger
    var streams: StreamSubscriber?

    init(sockets: BoundSockets, dealers: [String: ZMQSocket], logger: Logger) {
        self.sockets = sockets
        self.dealers = dealers
        self.logger = logger
    }

    func send(_ command: Command, to service: String) {
        guard let dealer = dealers[service] else { return }
        do {
            if try !dealer.trySend([WireCodec.encode(.command(command))]) {
                logger.debug("command not queued; the attempt will time out and retry",
                             metadata: ["command_id": "\(command.id)", "service": "\(service)"])
            }
        } catch {
            logger.warning("sending a command failed", metadata: ["command_id": "\(command.id)", "error": "\(error)"])
        }
    }

    func send(_ query: Query, to service: String) {
        _ = try? dealers[service]?.trySend([WireCodec.encode(.query(query))])
    }

    func reply(route: [[UInt8]], _ message: WireMessage) { sockets.router.send(route: route, message) }

    func publish(_ events: [Event]) { sockets.publisher.publish(events) }

    var streamStatus: JSON { streams?.status(now: monotonicMs()) ?? [:] }
}
