import EventLog
import Foundation
import Logging
import SagaWire
import ServiceModel
import ZeroMQ

/// Runs one event-sourced service: a reactor over its ROUTER and PUB that group-commits.
///
/// Each loop iteration drains ready requests, loads the aggregates their commands touch (those
/// the core does not hold, in one read), decides each command against the core (applying its
/// events so later commands in the batch see them, and collecting their read-side writes),
/// commits the whole batch in one transaction, and only then replies, answers queries and
/// publishes. A command id seen before is answered with its recorded reply and changes nothing.
public final class ServiceHost<Core: ServiceCore> {
    var core: Core
    let config: HostConfiguration
    let logger: Logger
    var committer: Committer
    var log: EventLog { committer.log }
    private let sockets: BoundSockets
    private var router: RouterServer { sockets.router }
    var publisher: EventPublisher { sockets.publisher }
    private let system: SystemQueries
    var retainer: Retainer
    let archive: ArchiveWriter?
    /// What recovery did at start, for `sys.Ping`.
    private var recovery: JSON = [:]

    /// The endpoints actually bound (wildcard ports resolved).
    public var endpoints: (router: String, pub: String) { (router.endpoint, publisher.endpoint) }

    /// Opens the log, rebuilds the core from it, commits bootstrap events and binds the sockets.
    public convenience init(core: Core, config: HostConfiguration, logger: Logger) throws {
        try self.init(core: core, config: config, context: try ZMQContext(), logger: logger)
    }

    /// The same, with the sockets in `context`.
    package init(core: Core, config: HostConfiguration, context: ZMQContext, logger: Logger) throws {
        self.core = core
        self.config = config
        self.logger = logger
        let service = Core.serviceName
        let path = (config.dataDirectory as NSString).appendingPathComponent("\(service).sqlite")
        let log = try EventLog(path: path, service: service, readModel: Core.readModel)
        system = SystemQueries(service: service, startedMs: wallClockMs())
        metrics = HostMetrics(service: service)
        committer = Committer(log: log, metrics: metrics, snapshotEvery: config.snapshotEvery, alwaysSnapshot: Core.alwaysSnapshotted,
                              verifySnapshots: config.verifySnapshots)
        retainer = Retainer(settings: config.retention, rules: Core.retentionRules)
        archive = try config.retention.archiveDirectory.map { try ArchiveWriter(directory: $0, service: service) }
        sockets = try BoundSockets(context: context, config: config, source: service, metrics: metrics, logger: logger)
        try recover()
    }

    private func recover() throws {
        let started = monotonicMs()
        let report = try committer.recover(&core)
        let bootstrap = core.bootstrap(now: wallClockMs())
        if !bootstrap.isEmpty {
            // Applied first, with the sequence numbers the commit will assign, so that their
            // read-side writes go into the same commit.
            var seq = log.head
            var writes: [ReadWrite] = []
            for streamAppend in bootstrap {
                try ensureLoaded(streamAppend.stream)
                var version = streamVersion(before: streamAppend)
                for newEvent in streamAppend.events {
                    seq += 1
                    version += 1
                    writes += try core.apply(Event(seq: seq, stream: streamAppend.stream, version: version, type: newEvent.type,
                                                   data: newEvent.data, metadata: EventMetadata(
                                                       correlationID: newEvent.correlationID, causationID: newEvent.causationID,
                                                       service: Core.serviceName, timeMs: newEvent.timeMs)))
                }
            }
            var faults = FaultInjector()
            let events = try committer.commit([LogBatch(appends: bootstrap, writes: writes)], faults: &faults).flatMap { $0 }
            guard events.last?.seq == seq else { throw HostError.fatalStorage("bootstrap sequence numbers differ from the prediction") }
            try committer.project(faults: &faults)
            try committer.committed(events, of: core, faults: &faults, logger: logger) { publisher.publish($0) }
        }
        recovery = ["snapshots": .int(Int64(report.snapshots)), "replayed": .int(Int64(report.replayed)),
                    "projected": .int(Int64(report.projected)), "ms": .int(monotonicMs() - started)]
        logger.info("recovered state from the log", metadata: [
            "head": "\(log.head)", "snapshots": "\(report.snapshots)", "checkpoint": "\(report.checkpoint)",
            "replayed": "\(report.replayed)", "projected": "\(report.projected)", "rebuilt_read_side": "\(report.rebuiltReadSide)",
            "ms": "\(monotonicMs() - started)", "router": "\(router.endpoint)", "pub": "\(publisher.endpoint)",
        ])
    }

    /// A command decided in this batch, waiting for the commit.
    private struct Pending {
        var commandID: String
        var bodyHash: Int64
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
    private let metrics: HostMetrics
    /// Commands held back by an injected delay, with when to process them.
    private var delayed: [(due: Int64, command: Command, route: [[UInt8]])] = []

    /// Runs the reactor until a ``ControlMessage/stop`` arrives in `mailbox`. An injected crash
    /// point aborts the process, as a real crash would.
    public func run(mailbox: Mailbox<ControlMessage>) throws {
        faults = FaultInjector(config.faults)
        var poller = ZMQPoller()
        poller.add(router.socket)
        poller.add(fileDescriptor: mailbox.wakeup.readFD)
        sockets.pollAuthentication(with: &poller)
        var stopping = false
        while !stopping {
            let nextHeartbeat = sockets.heartbeatIfDue(head: log.head, now: monotonicMs())
            let until = retainer.wake(by: min(nextHeartbeat, delayed.map(\.due).min() ?? nextHeartbeat, committer.projectionDueMs ?? .max,
                                              monotonicMs() + 60_000))
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, until - monotonicMs()))) else { continue }
            if poller.isReadable(1) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            do {
                try processBatch()
                try committer.projectIfDue(now: monotonicMs(), faults: &faults)
                committer.recordLag(now: monotonicMs())
                let budget = monotonicMs() + Retainer.iterationBudgetMs
                while retainer.isDue(now: monotonicMs()) && monotonicMs() < budget { try retire() }
            } catch let crash as InjectedCrash {
                crashNow(crash.point, process: Core.serviceName)
            }
        }
        logger.info("stopping", metadata: ["head": "\(log.head)"])
        sockets.close()
    }

    /// One iteration: drain, load, decide, commit once, then reply, answer and publish.
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
        let business = commands.filter { !$0.command.type.hasPrefix("sys.") }
        let recorded: [String: StoredCommand]
        do { recorded = try log.records(forCommands: business.map(\.command.id)) } catch {
            throw HostError.fatalStorage("reading command records", cause: error)
        }
        try load(business.filter { recorded[$0.command.id] == nil }.map(\.command))
        var spans = CommandSpans(service: Core.serviceName)
        for item in commands {
            spans.took(item.command)
            try handle(item.command, route: item.route, &batch, now: now, released: item.released, recorded: recorded[item.command.id])
        }
        guard !batch.isEmpty else { return spans.finish(commit: nil) }
        var committed: [Event] = []
        let commitStarted = TraceContext.now
        for (index, events) in try committer.commit(batch.units, faults: &faults).enumerated() {
            guard events.map(\.seq) == batch.pending[index].predicted else {
                throw HostError.fatalStorage("sequence numbers differ from the prediction")
            }
            committed += events
        }
        let commitEnded = TraceContext.now
        for item in batch.pending {
            for route in item.routes where !faults.dropsReply() { router.send(route: route, item.reply) }
        }
        for (route, message) in batch.controlReplies { router.send(route: route, message) }
        // A query sees every command replied to before it arrived: the read side is projected
        // up to the head first.
        if !batch.queries.isEmpty { try committer.project(faults: &faults) }
        for (query, route) in batch.queries { answer(query, route: route, now: now) }
        spans.finish(commit: batch.units.isEmpty ? nil : (commitStarted, commitEnded))
        try committer.committed(committed, of: core, faults: &faults, logger: logger) { publisher.publish($0) }
        core.trim()
    }

    /// Loads, in one read, the streams the commands touch that the core does not hold. A
    /// command whose streams cannot be named (bad input) loads nothing; its decision refuses it.
    private func load(_ commands: [Command]) throws {
        var wanted: [String] = []
        var seen: Set<String> = []
        for command in commands {
            for stream in (try? core.streams(for: command)) ?? [] where !core.holds(stream) && seen.insert(stream).inserted {
                wanted.append(stream)
            }
        }
        guard !wanted.isEmpty else { return }
        let events: [String: [Event]]
        do { events = try log.read(streams: wanted) } catch { throw HostError.fatalStorage("loading aggregates", cause: error) }
        for stream in wanted {
            do { try core.load(stream, events: events[stream] ?? []) } catch {
                throw HostError.recovery("stream \(stream) cannot be folded", cause: error)
            }
        }
    }

    /// Loads one stream the core does not hold (as a safeguard: a decision appends only to the
    /// streams its command names, which are loaded before the batch is decided).
    private func ensureLoaded(_ stream: String) throws {
        guard !core.holds(stream) else { return }
        let events: [Event]
        do { events = try log.read(stream: stream) } catch { throw HostError.fatalStorage("loading \(stream)", cause: error) }
        do { try core.load(stream, events: events) } catch { throw HostError.recovery("stream \(stream) cannot be folded", cause: error) }
    }

    /// Takes one command into the batch: control commands, recorded replies, injected delays and
    /// failures, or a decision applied to the core.
    private func handle(_ command: Command, route: [[UInt8]], _ batch: inout Batch, now: Int64, released: Bool,
                        recorded: StoredCommand?) throws {
        if command.type.hasPrefix("sys.") {
            batch.controlReplies.append((route, control(command)))
            return
        }
        let bodyHash = command.bodyHash
        if let index = batch.pendingIndex[command.id] {
            guard batch.pending[index].bodyHash == bodyHash else { return refuseReuse(command, route: route) }
            batch.pending[index].routes.append(route)
            return
        }
        if let recorded {
            guard recorded.bodyHash.map({ $0 == bodyHash }) ?? true else { return refuseReuse(command, route: route) }
            metrics.command(command.type, "duplicate")
            logger.debug("repeated command answered with its recorded reply",
                         metadata: ["command_id": "\(command.id)", "saga_id": "\(command.correlationID ?? "-")"])
            if !faults.dropsReply() { router.send(route: route, recorded.reply) }
            return
        }
        if let expired = expiry(command, now: now) {
            metrics.command(command.type, "expired")
            router.send(route: route, .error(ErrorReply(inReplyTo: command.id, expired)))
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
        do throws(WireError) {
            // The core's vocabulary, declared once: anything else is `unknown_type` before it decides.
            guard Core.commandTypes.contains(command.type) else { throw unknownType(command.type, service: Core.serviceName) }
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
        var writes: [ReadWrite] = []
        for streamAppend in decision.appends {
            try ensureLoaded(streamAppend.stream)
            var version = streamVersion(before: streamAppend)
            for newEvent in streamAppend.events {
                version += 1
                let event = Event(seq: batch.nextSeq, stream: streamAppend.stream, version: version, type: newEvent.type,
                                  data: newEvent.data, metadata: EventMetadata(
                                      correlationID: newEvent.correlationID, causationID: newEvent.causationID,
                                      service: Core.serviceName, timeMs: newEvent.timeMs))
                do { writes += try core.apply(event) } catch {
                    throw HostError.fatalStorage("core refused its own event \(event.type)", cause: error)
                }
                predicted.append(batch.nextSeq)
                batch.nextSeq += 1
            }
        }
        let reply = WireCodec.encode(.reply(Reply(
            inReplyTo: command.id, outcome: decision.outcome, reason: decision.reason, message: decision.message,
            body: decision.body, events: predicted)))
        batch.pendingIndex[command.id] = batch.pending.count
        batch.pending.append(Pending(commandID: command.id, bodyHash: bodyHash, reply: reply, routes: [route], predicted: predicted))
        batch.units.append(LogBatch(appends: decision.appends, commands: [ProcessedCommand(
            commandID: command.id, reply: reply, timeMs: now, bodyHash: bodyHash)], writes: writes))
    }

    /// A command id used again for a different command: refused, nothing recorded (the
    /// original's reply would tell its sender a command it never sent succeeded).
    private func refuseReuse(_ command: Command, route: [[UInt8]]) {
        metrics.command(command.type, "conflict")
        logger.notice("command id reused with a different body", metadata: [
            "command_id": "\(command.id)", "type": "\(command.type)", "saga_id": "\(command.correlationID ?? "-")"])
        router.send(route: route, .error(ErrorReply(inReplyTo: command.id, code: .conflict,
                                                    message: "command id \(command.id) was used before for a different command",
                                                    field: "id")))
    }

    private func expiry(_ command: Command, now: Int64) -> WireError? {
        config.retention.window.refusal(of: command, now: now)
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
        do throws(WireError) {
            let body: JSON
            if SystemQueries.handles(query.type) {
                body = try system.answer(query, log: log, now: now, extra: [
                    "published": .int(Int64(publisher.published)), "dropped_replies": .int(Int64(router.droppedReplies)),
                    "faults": faults.json, "commit": committer.stats.json, "retention": retainer.json(log),
                    "projection": committer.projectionJSON(now: monotonicMs()), "recovery": recovery, "configuration": core.configuration])
            } else {
                guard Core.queryTypes.contains(query.type) else { throw unknownType(query.type, service: Core.serviceName) }
                body = SystemQueries.stamped(try core.query(query, reader: log, now: now), asOf: log.projected)
            }
            router.send(route: route, .result(QueryResult(inReplyTo: query.id, body: body)))
        } catch {
            router.send(route: route, .error(ErrorReply(inReplyTo: query.id, error)))
        }
    }
}
