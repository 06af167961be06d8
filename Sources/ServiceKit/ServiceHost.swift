import Domain
import EventLog
import Foundation
import Logging
import SagaWire
import ZeroMQ

/// Settings of a service host.
public struct HostConfiguration: Sendable, BoundSocketsConfiguration {
    /// Where the ROUTER binds (commands, queries, replay, ping).
    public var routerEndpoint: String
    /// Where the PUB binds (events, heartbeats).
    public var pubEndpoint: String
    /// The directory holding the process's log.
    public var dataDirectory: String
    /// A snapshot is written after this many events (0: never).
    public var snapshotEvery: Int
    /// Milliseconds between heartbeats.
    public var heartbeatMs: Int
    /// Most requests taken into one batch (one commit).
    public var maxBatch: Int
    /// Faults to inject (fault-injection runs); empty in production.
    public var faults: FaultSpec
    /// CURVE keys: when set, every socket is encrypted and clients must be on the allow-list.
    public var keys: CurveKeys?
    /// Whether `sys.SetFault` is accepted at runtime.
    public var allowFaults: Bool
    /// Most requests per second from one client (0: no limit).
    public var clientRate: Double

    public init(routerEndpoint: String, pubEndpoint: String, dataDirectory: String, snapshotEvery: Int = 10_000,
                heartbeatMs: Int = 1000, maxBatch: Int = 512, faults: FaultSpec = FaultSpec(), keys: CurveKeys? = nil,
                allowFaults: Bool = false, clientRate: Double = 20_000) {
        self.faults = faults
        self.keys = keys
        self.allowFaults = allowFaults
        self.clientRate = clientRate
        self.routerEndpoint = routerEndpoint
        self.pubEndpoint = pubEndpoint
        self.dataDirectory = dataDirectory
        self.snapshotEvery = snapshotEvery
        self.heartbeatMs = heartbeatMs
        self.maxBatch = maxBatch
    }
}

/// Runs one event-sourced service: a reactor over its ROUTER and PUB that group-commits.
///
/// Each loop iteration drains ready requests, decides each command against the in-memory core
/// (applying its events so later commands in the batch see them), commits the whole batch in
/// one transaction, and only then replies, answers queries and publishes. A command id seen
/// before is answered with its recorded reply and changes nothing.
public final class ServiceHost<Core: ServiceCore> {
    private var core: Core
    private let config: HostConfiguration
    private let logger: Logger
    private let log: EventLog
    private let context: ZMQContext
    private let sockets: BoundSockets
    private var router: RouterServer { sockets.router }
    private var publisher: EventPublisher { sockets.publisher }
    private let system: SystemQueries
    private var checkpoints: Checkpoints

    /// The endpoints actually bound (wildcard ports resolved).
    public var endpoints: (router: String, pub: String) { (router.endpoint, publisher.endpoint) }

    /// Opens the log, rebuilds the core from it, commits bootstrap events and binds the sockets.
    public init(core: Core, config: HostConfiguration, logger: Logger) throws {
        self.core = core
        self.config = config
        self.logger = logger
        let service = Core.serviceName
        let path = (config.dataDirectory as NSString).appendingPathComponent("\(service).sqlite")
        log = try EventLog(path: path, service: service)
        system = SystemQueries(service: service, startedMs: wallClockMs())
        let context = try ZMQContext()
        self.context = context
        metrics = HostMetrics(service: service)
        sockets = try BoundSockets(context: context, config: config, source: service, metrics: metrics, logger: logger)
        checkpoints = Checkpoints(every: config.snapshotEvery)
        try recover()
    }

    private func recover() throws {
        let started = monotonicMs()
        let report = try checkpoints.recover(&core, from: log)
        let bootstrap = core.bootstrap(now: wallClockMs())
        if !bootstrap.isEmpty {
            let events = try log.commit(LogBatch(appends: bootstrap))
            for event in events { try core.apply(event) }
            checkpoints.committed(events)
            publisher.publish(events)
        }
        logger.info("recovered state from the log", metadata: [
            "head": "\(log.head)", "snapshots": "\(report.snapshots)", "checkpoint": "\(report.checkpoint)",
            "replayed": "\(report.replayed)", "ms": "\(monotonicMs() - started)",
            "router": "\(router.endpoint)", "pub": "\(publisher.endpoint)",
        ])
    }

    /// A command decided in this batch, waiting for the commit.
    private struct Pending {
        var commandID: String
        var reply: [UInt8]
        var routes: [[[UInt8]]]
        var predicted: [Int64]
    }

    /// What one iteration has decided so far.
    private struct Batch {
        var pending: [Pending] = []
        var pendingIndex: [String: Int] = [:]
        var units: [LogBatch] = []
        var queries: [(Query, [[UInt8]])] = []
        var controlReplies: [([[UInt8]], WireMessage)] = []
        var nextSeq: Int64

        var isEmpty: Bool { units.isEmpty && queries.isEmpty && controlReplies.isEmpty && pending.isEmpty }
    }

    private var faults: FaultInjector = FaultInjector()
    private var stats = CommitStats()
    private let metrics: HostMetrics
    /// Commands held back by an injected delay, with when to process them.
    private var delayed: [(due: Int64, command: Command, route: [[UInt8]])] = []

    /// Runs the reactor until a ``ControlMessage/stop`` arrives in `mailbox`.
    public func run(mailbox: Mailbox<ControlMessage>) throws {
        faults = FaultInjector(config.faults)
        var poller = ZMQPoller()
        poller.add(router.socket)
        poller.add(fileDescriptor: mailbox.wakeup.readFD)
        sockets.pollAuthentication(with: &poller)
        var stopping = false
        while !stopping {
            let nextHeartbeat = sockets.heartbeatIfDue(head: log.head, now: monotonicMs())
            let until = min(nextHeartbeat, delayed.map(\.due).min() ?? nextHeartbeat)
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, until - monotonicMs()))) else { continue }
            if poller.isReadable(1) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            try processBatch()
        }
        logger.info("stopping", metadata: ["head": "\(log.head)"])
        sockets.close()
    }

    /// One iteration: drain, decide, commit once, then reply, answer and publish.
    private func processBatch() throws {
        let now = wallClockMs()
        var batch = Batch(nextSeq: log.head + 1)
        let clock = monotonicMs()
        var commands: [(command: Command, route: [[UInt8]], released: Bool)] = []
        if !delayed.isEmpty {
            for item in delayed where item.due <= clock { commands.append((item.command, item.route, true)) }
            delayed.removeAll { $0.due <= clock }
        }
        while commands.count + batch.queries.count < config.maxBatch, let request = try router.next() {
            switch request {
            case .query(let query, let route): batch.queries.append((query, route))
            case .command(let command, let route): commands.append((command, route, false))
            }
        }
        // One lookup for the whole batch: which of these commands were processed before.
        let recorded = try log.replies(forCommands: commands.filter { !$0.command.type.hasPrefix("sys.") }.map(\.command.id))
        for item in commands {
            try handle(item.command, route: item.route, &batch, now: now, released: item.released, recorded: recorded[item.command.id])
        }
        guard !batch.isEmpty else { return }
        var committed: [Event] = []
        if !batch.units.isEmpty {
            if faults.crashes(at: .beforeCommit) { crashNow(.beforeCommit, process: Core.serviceName) }
            let results: [Result<[Event], EventLogError>]
            let started = monotonicMicros()
            do { results = try log.commit(group: batch.units) } catch { throw HostError.fatalStorage("\(error)") }
            let elapsed = monotonicMicros() - started
            for (index, result) in results.enumerated() {
                let events: [Event]
                do { events = try result.get() } catch { throw HostError.fatalStorage("batch refused: \(error)") }
                guard events.map(\.seq) == batch.pending[index].predicted else {
                    throw HostError.fatalStorage("sequence numbers differ from the prediction")
                }
                committed += events
            }
            stats.record(units: batch.units.count, events: committed.count, micros: elapsed)
            metrics.commit(units: batch.units.count, micros: elapsed)
            if faults.crashes(at: .afterCommit) { crashNow(.afterCommit, process: Core.serviceName) }
        }
        for item in batch.pending {
            for route in item.routes where !faults.dropsReply() { router.send(route: route, item.reply) }
        }
        for (route, message) in batch.controlReplies { router.send(route: route, message) }
        for (query, route) in batch.queries { answer(query, route: route, now: now) }
        if !committed.isEmpty {
            publisher.publish(committed.filter { _ in !faults.dropsPublish() })
            checkpoints.committed(committed)
            if checkpoints.isDue { try checkpoints.write(core, to: log, logger: logger) }
        }
    }

    /// Takes one command into the batch: control commands, recorded replies, injected delays and
    /// failures, or a decision applied to the core.
    private func handle(_ command: Command, route: [[UInt8]], _ batch: inout Batch, now: Int64, released: Bool,
                        recorded: [UInt8]?) throws {
        if command.type.hasPrefix("sys.") {
            batch.controlReplies.append((route, control(command)))
            return
        }
        if let index = batch.pendingIndex[command.id] {
            batch.pending[index].routes.append(route)
            return
        }
        if let recorded {
            metrics.command(command.type, "duplicate")
            logger.debug("repeated command answered with its recorded reply",
                         metadata: ["command_id": "\(command.id)", "saga_id": "\(command.correlationID ?? "-")"])
            if !faults.dropsReply() { router.send(route: route, recorded) }
            return
        }
        if !released {
            let delay = faults.delay(command.type)
            if delay > 0 {
                delayed.append((monotonicMs() + delay, command, route))
                metrics.gauge("zsaga_delayed_commands").record(delayed.count)
                return
            }
        }
        var decision: Decision
        do {
            decision = try core.decide(command, now: now)
        } catch {
            metrics.command(command.type, "error")
            logger.debug("command refused", metadata: ["command_id": "\(command.id)", "code": "\(error.code.rawValue)",
                                                       "field": "\(error.field ?? "-")"])
            router.send(route: route, .error(ErrorReply(inReplyTo: command.id, error)))
            return
        }
        if faults.fails(command.type) {
            decision = .rejected("injected_failure", "injected business failure (fault injection)")
        }
        metrics.command(command.type, decision.outcome.rawValue)
        logger.debug("command decided", metadata: [
            "command_id": "\(command.id)", "saga_id": "\(command.correlationID ?? "-")", "type": "\(command.type)",
            "outcome": "\(decision.outcome.rawValue)", "reason": "\(decision.reason ?? "-")",
        ])
        // Apply now, with the sequence numbers the commit will assign, so later commands in this
        // batch see the effects. The commit checks the prediction.
        var predicted: [Int64] = []
        for streamAppend in decision.appends {
            var version = streamVersion(before: streamAppend)
            for newEvent in streamAppend.events {
                version += 1
                let event = Event(seq: batch.nextSeq, stream: streamAppend.stream, version: version, type: newEvent.type,
                                  data: newEvent.data, metadata: EventMetadata(
                                      correlationID: newEvent.correlationID, causationID: newEvent.causationID,
                                      service: Core.serviceName, timeMs: newEvent.timeMs))
                do { try core.apply(event) } catch {
                    throw HostError.fatalStorage("core refused its own event \(event.type): \(error)")
                }
                predicted.append(batch.nextSeq)
                batch.nextSeq += 1
            }
        }
        let reply = WireCodec.encode(.reply(Reply(
            inReplyTo: command.id, outcome: decision.outcome, reason: decision.reason, message: decision.message,
            body: decision.body, events: predicted)))
        batch.pendingIndex[command.id] = batch.pending.count
        batch.pending.append(Pending(commandID: command.id, reply: reply, routes: [route], predicted: predicted))
        batch.units.append(LogBatch(appends: decision.appends,
                                    commands: [ProcessedCommand(commandID: command.id, reply: reply, timeMs: now)]))
    }

    /// Control commands (`sys.SetFault`): never recorded in the business log.
    private func control(_ command: Command) -> WireMessage {
        switch command.type {
        case "sys.SetFault":
            guard config.allowFaults else {
                return .error(ErrorReply(inReplyTo: command.id, code: .forbidden,
                                         message: "runtime fault injection is not enabled here (--allow-faults, ZSAGA_ALLOW_FAULTS=1)"))
            }
            do {
                let spec = try FaultSpec.parse(try command.fields().string("spec", maxBytes: 4096, allowEmpty: true))
                faults.set(spec)
                logger.notice("fault spec set", metadata: ["spec": "\(spec.text)"])
                return .reply(Reply(inReplyTo: command.id, outcome: .ok, body: faults.json))
            } catch {
                return .error(ErrorReply(inReplyTo: command.id, error))
            }
        default:
            return .error(ErrorReply(inReplyTo: command.id, code: .unknownType, message: "unknown control command \(command.type)",
                                     field: "type"))
        }
    }

    /// The version of a stream before an append, from the append's own expectation.
    private func streamVersion(before streamAppend: StreamAppend) -> Int64 {
        switch streamAppend.expectedVersion {
        case .exact(let version): return version
        case .noStream: return 0
        case .any:
            // Cores always state the version they decided on; `.any` is for tools and tests.
            return (try? log.version(ofStream: streamAppend.stream)) ?? 0
        }
    }

    private func answer(_ query: Query, route: [[UInt8]], now: Int64) {
        do {
            let body: JSON
            if SystemQueries.handles(query.type) {
                body = try system.answer(query, log: log, now: now, extra: [
                    "published": .int(Int64(publisher.published)), "dropped_replies": .int(Int64(router.droppedReplies)),
                    "faults": faults.json, "commit": stats.json])
            } else {
                body = try core.query(query, now: now)
            }
            router.send(route: route, .result(QueryResult(inReplyTo: query.id, body: body)))
        } catch {
            router.send(route: route, .error(ErrorReply(inReplyTo: query.id, error)))
        }
    }
}
