import Domain
import EventLog
import Foundation
import CoreMetrics
import Logging
import SagaWire
import ServiceKit
import ZeroMQ

/// The saga orchestrator's reactor: the client API, a DEALER to every service, a SUB on every
/// service's events, the saga log and the timers, all on one thread.
///
/// Each iteration drains requests, replies, events and due timers; the pure ``SagaMachine``
/// turns each into events and effects; the events of the whole iteration are committed at
/// once; only then are commands sent, clients answered and saga events published.
public final class OrchestratorHost {
    private let config: OrchestratorConfiguration
    private let logger: Logger
    private let log: EventLog
    private let context: ZMQContext
    private let sockets: BoundSockets
    private var api: RouterServer { sockets.router }
    private var publisher: EventPublisher { sockets.publisher }
    private var streams: StreamSubscriber!
    private var dealers: [String: ZMQSocket] = [:]
    private var book = SagaBook()
    /// Sagas recovered waiting for the action of this step: an earlier incarnation may have sent
    /// the next step's action ahead of its log (`Transition.sendsAhead`).
    private var recoveredAt: [String: Int] = [:]
    private var checkpoints: Checkpoints
    private let system: SystemQueries
    /// The definition new sagas of each type run.
    private var current: [String: SagaDefinition] = [:]
    private var timers = TimerQueue<TimerKind>()
    private var waiters: [String: [(route: [[UInt8]], requestID: String)]] = [:]
    private var random: SplitMix64
    /// The items inventory stocks, to refuse an order for an unknown item before anything is
    /// recorded: learned from `inventory.Stock` (asked at start and every 10 s) and from its
    /// `StockInitialized` events. `nil` until first known.
    private var catalog: Set<String>?
    private var nextCatalogRequest: Int64 = 0
    private var catalogRequests = 0

    /// The positions of the services' streams last saved.
    private var savedPositions: [String: Int64] = [:]
    private var lastOffsetSave: Int64 = 0
    private var faults: FaultInjector
    private var stats = CommitStats()
    private let metrics = HostMetrics(service: "saga")
    private var counters: [String: CoreMetrics.Counter] = [:]
    private let sagaLatency = CoreMetrics.Timer(label: "zsaga_saga_latency_seconds", preferredDisplayUnit: .seconds)

    private enum TimerKind {
        case send(sagaID: String, SagaCommand, attempt: Int)
        case timeout(commandID: String, attempt: Int)
    }

    /// The endpoints actually bound.
    public var endpoints: (router: String, pub: String) { (api.endpoint, publisher.endpoint) }

    public init(config: OrchestratorConfiguration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        for definition in config.definitions {
            for service in Set(definition.steps.map(\.service) + definition.onComplete.map(\.service))
            where config.services[service] == nil {
                throw HostError.configuration("saga type \(definition.type) uses service \(service), which has no endpoint")
            }
        }
        log = try EventLog(path: (config.dataDirectory as NSString).appendingPathComponent("saga.sqlite"), service: "saga")
        system = SystemQueries(service: "saga", startedMs: wallClockMs())
        checkpoints = Checkpoints(every: config.snapshotEvery)
        random = SplitMix64(seed: config.seed)
        faults = FaultInjector(config.faults)
        let context = try ZMQContext()
        self.context = context
        sockets = try BoundSockets(context: context, config: config, source: "saga", metrics: metrics, logger: logger)
        for (service, endpoints) in config.services.sorted(by: { $0.key < $1.key }) {
            let dealer = try ZMQSocket(context, .dealer)
            try dealer.setSendHighWaterMark(100_000)
            try dealer.setReceiveHighWaterMark(100_000)
            try dealer.setHeartbeat(interval: 2000, timeout: 6000, ttl: 6000)
            if let keys = config.keys { try keys.secureClient(dealer, server: service) }
            try dealer.connect(endpoints.router)
            dealers[service] = dealer
        }
        try recover()
    }

    // MARK: Recovery

    private func recover() throws {
        let started = monotonicMs()
        let report = try checkpoints.recover(&book, from: log)
        var registrations: [StreamAppend] = []
        for definition in config.definitions {
            current[definition.type] = definition
            if book.definitions[definition.fingerprint] == nil {
                registrations.append(StreamAppend(stream: SagaBook.definitionStream(definition.fingerprint),
                                                  expectedVersion: .noStream,
                                                  events: [SagaBook.registration(definition, now: wallClockMs())]))
            }
        }
        if !registrations.isEmpty {
            let events = try log.commit(LogBatch(appends: registrations))
            for event in events { try book.apply(event) }
            checkpoints.committed(events)
        }
        // Resume each service's event stream where this orchestrator left it.
        let offsets = try log.offsets()
        var positions: [String: Int64] = [:]
        for service in config.services.keys {
            if let position = offsets[Self.offsetKey(service)] { positions[service] = position }
        }
        savedPositions = positions
        streams = try StreamSubscriber(
            context: context,
            sources: config.services.map { StreamSubscriber.Source(name: $0.key, router: $0.value.router, pub: $0.value.pub) },
            positions: positions, logger: logger, keys: config.keys)
        // Resume every saga that can move: re-send what it waits for, with the same ids.
        var resumed = 0
        for state in book.active.values where state.status == .running || state.status == .compensating {
            guard let definition = book.definition(of: state) else { continue }
            if state.status == .running, case .forward(let step) = state.phase, step + 1 < definition.steps.count {
                recoveredAt[state.id] = step
            }
            perform(SagaMachine.recover(state, definition), sagaID: state.id, now: monotonicMs())
            resumed += 1
        }
        logger.info("recovered sagas from the log", metadata: [
            "head": "\(log.head)", "snapshots": "\(report.snapshots)", "replayed": "\(report.replayed)",
            "sagas": "\(book.summaries.count)", "resumed": "\(resumed)", "stuck": "\(book.counts[.stuck, default: 0])",
            "ms": "\(monotonicMs() - started)", "router": "\(api.endpoint)", "pub": "\(publisher.endpoint)",
        ])
    }

    // MARK: The loop

    /// Everything one iteration decided, to be committed at once and then carried out.
    private struct Batch {
        var units: [LogBatch] = []
        var effects: [(sagaID: String, effects: [SagaEffect], ahead: Bool)] = []
        var replies: [(route: [[UInt8]], message: WireMessage)] = []
        var queries: [(query: Query, route: [[UInt8]])] = []

        var isEmpty: Bool { units.isEmpty && effects.isEmpty && replies.isEmpty && queries.isEmpty }

        mutating func record(_ sagaID: String, versionBefore: Int64, _ transition: Transition) {
            if !transition.events.isEmpty {
                units.append(LogBatch(appends: [StreamAppend(
                    stream: SagaState.stream(sagaID),
                    expectedVersion: versionBefore == 0 ? .noStream : .exact(versionBefore),
                    events: transition.events)]))
            }
            if !transition.effects.isEmpty { effects.append((sagaID, transition.effects, transition.sendsAhead)) }
        }
    }

    /// Runs until a ``ControlMessage/stop`` arrives in `mailbox`.
    public func run(mailbox: Mailbox<ControlMessage>) throws {
        var poller = ZMQPoller()
        poller.add(api.socket)
        for socket in streams.sockets { poller.add(socket) }
        let dealerList = dealers.sorted { $0.key < $1.key }.map(\.value)
        for dealer in dealerList { poller.add(dealer) }
        let wakeIndex = poller.add(fileDescriptor: mailbox.wakeup.readFD)
        sockets.pollAuthentication(with: &poller)
        var stopping = false
        while !stopping {
            let before = monotonicMs()
            let nextHeartbeat = sockets.heartbeatIfDue(head: log.head, now: before)
            let until = min(nextHeartbeat, timers.nextDue ?? nextHeartbeat)
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, until - before))) else { continue }
            if poller.isReadable(wakeIndex) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            let now = monotonicMs()
            var batch = Batch()
            try drainAPI(&batch, now: now)
            for dealer in dealerList { try drainReplies(dealer, &batch, now: now) }
            try drainEvents(&batch, now: now)
            for timer in timers.popDue(now) {
                switch timer {
                case .send(let sagaID, let command, let attempt):
                    // Scheduled by a committed transition: send now if the saga still waits for it.
                    if let state = book.active[sagaID], state.attempts[command.command.id] == attempt {
                        send(command, attempt: attempt, now: now)
                    }
                case .timeout(let commandID, let attempt):
                    handle(commandID: commandID, outcome: .timedOut, attempt: attempt, &batch, now: now)
                }
            }
            if !batch.isEmpty {
                try finish(batch, now: now)
                metrics.gauge("zsaga_sagas_in_flight").record(book.inFlight)
                metrics.gauge("zsaga_timers").record(timers.count)
            }
        }
        logger.info("stopping", metadata: ["head": "\(log.head)", "in_flight": "\(book.inFlight)"])
        sockets.close()
        streams.close()
        for dealer in dealers.values { dealer.close() }
    }

    /// Sends what may go ahead of the log, commits the batch, then carries out the other
    /// effects, the answers and the publications.
    private func finish(_ batch: Batch, now: Int64) throws {
        var committed: [Event] = []
        // The next steps' actions: their services work while this commit syncs.
        var sentAhead = false
        for (sagaID, effects, ahead) in batch.effects where ahead {
            perform(effects, sagaID: sagaID, now: now)
            sentAhead = true
        }
        if sentAhead && faults.crashes(at: .afterSendAhead) {
            usleep(50_000) // let the I/O thread put the commands on the wire: the window this point models
            crashNow(.afterSendAhead, process: "saga-orchestrator")
        }
        if !batch.units.isEmpty {
            // (A crash here leaves sent-ahead actions the log does not show yet; recovery handles it.)
            if faults.crashes(at: .beforeCommit) { crashNow(.beforeCommit, process: "saga-orchestrator") }
            let results: [Result<[Event], EventLogError>]
            let started = monotonicMicros()
            do { results = try log.commit(group: batch.units) } catch { throw HostError.fatalStorage("\(error)") }
            let elapsed = monotonicMicros() - started
            for result in results {
                do { committed += try result.get() } catch { throw HostError.fatalStorage("saga batch refused: \(error)") }
            }
            stats.record(units: batch.units.count, events: committed.count, micros: elapsed)
            metrics.commit(units: batch.units.count, micros: elapsed)
            // Logged, nothing sent yet: recovery must re-send every command of this batch.
            if faults.crashes(at: .afterCommit) { crashNow(.afterCommit, process: "saga-orchestrator") }
        }
        for (sagaID, effects, ahead) in batch.effects where !ahead { perform(effects, sagaID: sagaID, now: now) }
        for (route, message) in batch.replies where !faults.dropsReply() { api.send(route: route, message) }
        for (query, route) in batch.queries { answer(query, route: route) }
        if !committed.isEmpty {
            publisher.publish(committed.filter { _ in !faults.dropsPublish() })
            checkpoints.committed(committed)
            if checkpoints.isDue { try checkpoints.write(book, to: log, logger: logger) }
        }
    }

    private func perform(_ effects: [SagaEffect], sagaID: String, now: Int64) {
        for effect in effects {
            switch effect {
            case .send(let command, let attempt, let delay):
                if delay <= 0 {
                    send(command, attempt: attempt, now: now)
                } else {
                    timers.schedule(at: now + delay, .send(sagaID: sagaID, command, attempt: attempt))
                }
            case .settled:
                notifyWaiters(sagaID)
            }
        }
    }

    private func send(_ command: SagaCommand, attempt: Int, now: Int64) {
        timers.schedule(at: now + command.retry.timeoutMs, .timeout(commandID: command.command.id, attempt: attempt))
        guard let dealer = dealers[command.service] else { return }
        do {
            if try !dealer.trySend([WireCodec.encode(.command(command.command))]) {
                logger.debug("command not queued; the attempt will time out and retry",
                             metadata: ["command_id": "\(command.command.id)", "service": "\(command.service)"])
            }
        } catch {
            logger.warning("sending a command failed", metadata: ["command_id": "\(command.command.id)", "error": "\(error)"])
        }
    }

    // MARK: Inputs

    private func handle(commandID: String, outcome: CommandOutcome, attempt: Int? = nil, _ batch: inout Batch, now: Int64) {
        guard let sagaID = Self.sagaID(fromCommand: commandID), var state = book.active[sagaID],
              let definition = book.definition(of: state) else { return }
        let before = state.version
        var nextMayHaveRun = false
        if let step = recoveredAt[sagaID] {
            if state.phase == .forward(step: step) { nextMayHaveRun = true } else { recoveredAt[sagaID] = nil }
        }
        let transition = SagaMachine.handle(&state, definition, commandID: commandID, outcome: outcome, attempt: attempt,
                                            now: wallClockMs(), unit: random.nextUnit(), nextMayHaveRun: nextMayHaveRun)
        if nextMayHaveRun && state.phase != .forward(step: recoveredAt[sagaID] ?? -1) { recoveredAt[sagaID] = nil }
        guard !transition.events.isEmpty || !transition.effects.isEmpty else { return }
        book.update(state)
        batch.record(sagaID, versionBefore: before, transition)
        observe(transition, sagaID: sagaID)
    }

    /// Metrics and logs of a saga's move.
    private func observe(_ transition: Transition, sagaID: String) {
        for event in transition.events {
            let name = event.data["name"]?.stringValue ?? "-"
            switch event.type {
            case "StepRetrying": count("zsaga_saga_retries_total", [("step", name)])
            case "CompensationSucceeded": count("zsaga_saga_compensations_total", [("step", name)])
            case "StepFailed": count("zsaga_saga_steps_failed_total", [("step", name), ("reason", event.data["reason"]?.stringValue ?? "-")])
            case "SagaCompleted", "SagaCompensated", "SagaStuck":
                let status = event.type == "SagaCompleted" ? "completed" : event.type == "SagaCompensated" ? "compensated" : "stuck"
                count("zsaga_sagas_settled_total", [("status", status)])
                if let duration = event.data["duration_ms"]?.intValue { sagaLatency.recordMilliseconds(duration) }
            default: break
            }
            if event.type == "SagaStuck" {
                logger.warning("saga stuck", metadata: ["saga_id": "\(sagaID)", "reason": "\(event.data["reason"]?.stringValue ?? "-")",
                                                        "command_id": "\(event.data["command_id"]?.stringValue ?? "-")"])
            } else {
                logger.debug("saga moved", metadata: [
                    "saga_id": "\(sagaID)", "event": "\(event.type)", "step": "\(name)",
                    "command_id": "\(event.data["command_id"]?.stringValue ?? "-")",
                ])
            }
        }
    }

    private func count(_ label: String, _ dimensions: [(String, String)]) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        if let counter = counters[key] { counter.increment(); return }
        let counter = CoreMetrics.Counter(label: label, dimensions: dimensions)
        if counters.count < 1000 { counters[key] = counter }
        counter.increment()
    }

    private func drainReplies(_ dealer: ZMQSocket, _ batch: inout Batch, now: Int64) throws {
        while let frames = try dealer.tryReceive() {
            guard let body = frames.last, let message = try? WireCodec.decode(body) else { continue }
            switch message {
            case .result(let result) where result.inReplyTo.hasPrefix("catalog-"):
                let items = (result.body["items"]?.arrayValue ?? []).compactMap { $0["item_id"]?.stringValue }
                catalog = Set(items)
            case .reply(let reply):
                let outcome: CommandOutcome = reply.outcome == .ok
                    ? .ok(reply.body) : .rejected(reason: reply.reason ?? "rejected", message: reply.message ?? "")
                handle(commandID: reply.inReplyTo, outcome: outcome, &batch, now: now)
            case .error(let error):
                guard let commandID = error.inReplyTo else { continue }
                handle(commandID: commandID, outcome: .error(error.code, message: error.message), &batch, now: now)
            default:
                continue
            }
        }
    }

    private func drainEvents(_ batch: inout Batch, now: Int64) throws {
        for event in try streams.drain(now: now) {
            if event.metadata.service == "inventory", event.type == "StockInitialized", let item = event.data["item_id"]?.stringValue {
                catalog?.insert(item)
            }
            handleEvent(event, &batch, now: now)
        }
        if now >= nextCatalogRequest, let dealer = dealers["inventory"] {
            nextCatalogRequest = now + 10_000
            catalogRequests += 1
            _ = try? dealer.trySend([WireCodec.encode(.query(Query(id: "catalog-\(catalogRequests)", type: "inventory.Stock")))])
        }
        // Save where each stream was consumed up to, riding on a commit the iteration makes
        // anyway, or on its own at most once a second. A position saved a little late only
        // means a few events are replayed again after a crash, and replayed outcomes of
        // settled commands change nothing.
        let due = monotonicMs() - lastOffsetSave >= 1000
        guard !batch.units.isEmpty || due else { return }
        var offsets: [String: Int64] = [:]
        for (service, position) in streams.positions where savedPositions[service] != position {
            offsets[Self.offsetKey(service)] = position
            savedPositions[service] = position
        }
        if !offsets.isEmpty {
            batch.units.append(LogBatch(offsets: offsets))
            lastOffsetSave = monotonicMs()
        }
    }

    static func offsetKey(_ service: String) -> String { "orchestrator/\(service)" }

    /// An event of a service, delivered once and in order: the outcome of a step it reports.
    private func handleEvent(_ event: Event, _ batch: inout Batch, now: Int64) {
        guard let commandID = event.metadata.causationID,
              let sagaID = Self.sagaID(fromCommand: commandID), let state = book.active[sagaID],
              let definition = book.definition(of: state),
              case .action(let step)? = state.pendingRole(ofCommand: commandID, definition) else { return }
        let stepDefinition = definition.steps[step]
        if stepDefinition.okEvents.contains(event.type) {
            handle(commandID: commandID, outcome: .ok(event.data), &batch, now: now)
        } else if stepDefinition.rejectedEvents.contains(event.type) {
            handle(commandID: commandID, outcome: .rejected(
                reason: event.data["reason"]?.stringValue ?? event.type,
                message: event.data["message"]?.stringValue ?? event.type), &batch, now: now)
        }
    }

    private func drainAPI(_ batch: inout Batch, now: Int64) throws {
        var taken = 0
        while taken < config.maxBatch, let request = try api.next() {
            taken += 1
            switch request {
            case .query(let query, let route):
                batch.queries.append((query, route))
            case .command(let command, let route):
                do {
                    try handleAPI(command, route: route, &batch)
                } catch {
                    batch.replies.append((route, .error(ErrorReply(inReplyTo: command.id, error))))
                }
            }
        }
    }

    private func handleAPI(_ command: Command, route: [[UInt8]], _ batch: inout Batch) throws(WireError) {
        let body = try command.fields()
        switch command.type {
        case "saga.StartSaga":
            let type = try body.identifier("type", maxBytes: 64)
            guard let definition = current[type] else {
                throw WireError(.unknownType, "no saga type \(type); known: \(current.keys.sorted().joined(separator: ", "))",
                                field: "body.type")
            }
            let sagaID = try body.optionalIdentifier("saga_id", maxBytes: Limits.idBytes) ?? command.id
            let wait = try body.optionalBool("wait") ?? false
            let context = try definition.validateContext(body.json("context") ?? [:], sagaID: sagaID)
            if definition.context == .order, let catalog {
                for (index, line) in (context["items"]?.arrayValue ?? []).enumerated() {
                    guard let item = line["item_id"]?.stringValue, !catalog.contains(item) else { continue }
                    throw WireError(.invalidArgument, "unknown item \(item)", field: "body.context.items[\(index)].item_id")
                }
            }
            if let existing = book.summaries[sagaID] {
                guard existing.contentHash == sagaContentHash(type: type, context: context) else {
                    throw WireError(.conflict, "saga \(sagaID) already exists with a different type or context", field: "body.saga_id")
                }
                if wait && (existing.status == .running || existing.status == .compensating) {
                    waiters[sagaID, default: []].append((route, command.id))
                } else {
                    batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                              body: settledBody(existing, existing: true)))))
                }
                return
            }
            guard book.inFlight < config.maxInFlight else {
                throw WireError(.overloaded, "\(book.inFlight) sagas in flight, the limit is \(config.maxInFlight); retry later")
            }
            let (state, transition) = SagaMachine.start(id: sagaID, definition: definition, context: context, now: wallClockMs())
            book.update(state)
            batch.record(sagaID, versionBefore: 0, transition)
            count("zsaga_sagas_started_total", [("type", type)])
            if wait {
                waiters[sagaID, default: []].append((route, command.id))
            } else {
                batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                          body: ["saga_id": .string(sagaID), "status": "running"]))))
            }
        case "saga.RetrySaga":
            let sagaID = try body.identifier("saga_id", maxBytes: Limits.idBytes)
            guard let summary = book.summaries[sagaID] else {
                throw WireError(.notFound, "no saga \(sagaID)", field: "body.saga_id")
            }
            guard var state = book.active[sagaID], let definition = book.definition(of: state) else {
                batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .rejected, reason: "not_stuck",
                                                          message: "saga \(sagaID) is \(summary.status.rawValue)",
                                                          body: settledBody(summary, existing: true)))))
                return
            }
            let before = state.version
            guard let transition = SagaMachine.resume(&state, definition, now: wallClockMs()) else {
                batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .rejected, reason: "not_stuck",
                                                          message: "saga \(sagaID) is \(state.status.rawValue)",
                                                          body: settledBody(summary, existing: true)))))
                return
            }
            book.update(state)
            batch.record(sagaID, versionBefore: before, transition)
            batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                      body: ["saga_id": .string(sagaID), "status": .string(state.status.rawValue)]))))
        case "sys.SetFault":
            guard config.allowFaults else {
                throw WireError(.forbidden, "runtime fault injection is not enabled here (--allow-faults, ZSAGA_ALLOW_FAULTS=1)")
            }
            let spec = try FaultSpec.parse(try body.string("spec", maxBytes: 4096, allowEmpty: true))
            faults.set(spec)
            logger.notice("fault spec set", metadata: ["spec": "\(spec.text)"])
            batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok, body: faults.json))))
        default:
            throw WireError(.unknownType, "the orchestrator does not handle \(command.type)", field: "type")
        }
    }

    private func settledBody(_ summary: SagaSummary, existing: Bool) -> JSON {
        var members: [String: JSON] = ["saga_id": .string(summary.id), "status": .string(summary.status.rawValue),
                                       "duration_ms": .int(summary.updatedMs - summary.startedMs),
                                       "existing": .bool(existing)]
        if let failure = summary.failure { members["failure"] = .string(failure) }
        if let reason = summary.stuckReason { members["stuck_reason"] = .string(reason) }
        return .object(members)
    }

    private func notifyWaiters(_ sagaID: String) {
        guard let routes = waiters.removeValue(forKey: sagaID), let summary = book.summaries[sagaID] else { return }
        for waiter in routes {
            api.send(route: waiter.route, .reply(Reply(inReplyTo: waiter.requestID, outcome: .ok,
                                                       body: settledBody(summary, existing: false))))
        }
    }

    // MARK: Queries

    private func answer(_ query: Query, route: [[UInt8]]) {
        do {
            let body = try answerBody(query)
            api.send(route: route, .result(QueryResult(inReplyTo: query.id, body: body)))
        } catch {
            api.send(route: route, .error(ErrorReply(inReplyTo: query.id, error)))
        }
    }

    private func answerBody(_ query: Query) throws(WireError) -> JSON {
        if SystemQueries.handles(query.type) {
            return try system.answer(query, log: log, now: wallClockMs(), extra: [
                "in_flight": .int(Int64(book.inFlight)), "sagas": .int(Int64(book.summaries.count)),
                "faults": faults.json, "streams": streams.status, "commit": stats.json,
            ])
        }
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "saga.GetSaga":
            let sagaID = try body.identifier("saga_id", maxBytes: Limits.idBytes)
            guard let summary = book.summaries[sagaID] else { throw WireError(.notFound, "no saga \(sagaID)", field: "body.saga_id") }
            let events: [Event]
            do { events = try log.read(stream: SagaState.stream(sagaID)) } catch {
                throw WireError(.internal, "reading saga \(sagaID) failed: \(error)")
            }
            var saga = summary.json.objectValue ?? [:]
            if let state = book.active[sagaID] { saga = state.json.objectValue ?? saga }
            saga["context"] = events.first?.data["context"] ?? .null
            let timeline: [JSON] = events.map { event in
                var entry = event.data.objectValue ?? [:]
                entry.removeValue(forKey: "context")
                entry["event"] = .string(event.type)
                entry["seq"] = .int(event.seq)
                entry["time_ms"] = .int(event.metadata.timeMs)
                return .object(entry)
            }
            return ["saga": .object(saga), "timeline": .array(timeline)]
        case "saga.ListSagas":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, SagaStatus(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of running, compensating, completed, compensated, stuck",
                                field: "body.status")
            }
            let page = try Page(body)
            let wanted = status.flatMap(SagaStatus.init(rawValue:))
            let (ids, next) = wanted.map { wanted in page.select(book.summaries.lazy.filter { $0.value.status == wanted }.map { $0.key }) }
                ?? page.select(book.summaries.keys)
            return ["sagas": .array(ids.map { book.summaries[$0]!.json }), "next": next.map { .string($0) } ?? .null]
        case "saga.Stats":
            var byStatus: [String: JSON] = [:]
            for status in SagaStatus.allCases { byStatus[status.rawValue] = .int(Int64(book.counts[status, default: 0])) }
            return ["total": .int(Int64(book.summaries.count)), "by_status": .object(byStatus),
                    "in_flight": .int(Int64(book.inFlight)), "max_in_flight": .int(Int64(config.maxInFlight))]
        case "saga.Definitions":
            return ["definitions": .array(current.keys.sorted().map { type in
                var json = current[type]!.json.objectValue ?? [:]
                json["fingerprint"] = .string(current[type]!.fingerprint)
                return .object(json)
            })]
        default:
            throw WireError(.unknownType, "the orchestrator does not answer \(query.type)", field: "type")
        }
    }

    /// The saga id in a command id: `<saga>/<step>/action|compensation[/rN]` or `<saga>/complete/<i>[/rN]`.
    static func sagaID(fromCommand id: String) -> String? {
        // Scan from the end without splitting: this runs for every reply and event.
        var utf8 = Substring(id).utf8
        func lastComponent() -> Substring.UTF8View? {
            guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
            let component = utf8[utf8.index(after: slash)...]
            utf8 = utf8[..<slash]
            return component
        }
        func isNumber(_ text: Substring.UTF8View) -> Bool {
            !text.isEmpty && text.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard var kind = lastComponent() else { return nil }
        if kind.first == UInt8(ascii: "r"), isNumber(kind.dropFirst()) {
            guard let previous = lastComponent() else { return nil }
            kind = previous
        }
        guard let middle = lastComponent(), !utf8.isEmpty else { return nil }
        let valid = ((kind.elementsEqual("action".utf8) || kind.elementsEqual("compensation".utf8)) && isNumber(middle))
            || (middle.elementsEqual("complete".utf8) && isNumber(kind))
        return valid ? String(Substring(utf8)) : nil
    }
}
