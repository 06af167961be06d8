import EventLog
import ServiceModel
import Foundation
import Logging
import SagaWire
import ServiceKit
import ZeroMQ

/// The saga monitor's reactor: it follows the orchestrator and the four services through a
/// lossless ``StreamSubscriber``, keeps what it consumed in its own log (stream = source,
/// version = the source's sequence number, so a duplicate or a gap cannot be appended), folds it
/// into ``MonitorState`` (joined order views, analytics windows, patterns), appends and
/// publishes alerts, and answers queries over its ROUTER.
public final class MonitorHost {
    private let config: MonitorConfiguration
    private let logger: Logger
    private var committer: Committer
    var log: EventLog { committer.log }
    private let context: ZMQContext
    private let sockets: BoundSockets
    private var router: RouterServer { sockets.router }
    private var publisher: EventPublisher { sockets.publisher }
    private var streams: StreamSubscriber!
    private var state: MonitorState
    private let system: SystemQueries
    private var alertsVersion: Int64 = 0
    private let metrics = HostMetrics(service: "monitor")
    /// The monitor injects no faults; its commits go through the same committer as every host.
    private var faults = FaultInjector()
    private var retainer: Retainer
    private let archive: ArchiveWriter?

    /// Events consumed and folded, waiting for their commit: the monitor commits by time (every
    /// ``commitEveryMs``), not by message, so that a view changed by many events in between
    /// is written once and a commit carries hundreds of events.
    private var waiting: [LogBatch] = []
    private var waitingSince: Int64?
    /// How long consumed events may wait for their commit (ms).
    static let commitEveryMs: Int64 = 100
    /// How many waiting events make a commit due at once.
    static let commitAtEvents = 5000

    static let core = "$monitor"
    /// Most rows a retirement batch takes: 400, an order view and a saga row for each of 200
    /// sagas, about 2,600 events (a service's batch is 100 aggregates). The monitor retires a
    /// copy of every source's events, so it has the most to remove of any process, and each
    /// batch pays a commit's fsync and the candidates' queries whatever its size; with
    /// batches of 100 rows it fell behind at about 650 sagas/s (docs/PERFORMANCE.md). A longer
    /// batch holds up only the monitor's queries and its intake, not a saga: the monitor is on
    /// no saga's path.
    static let retirementBatch = 400

    /// The endpoints actually bound.
    public var endpoints: (router: String, pub: String) { (router.endpoint, publisher.endpoint) }

    public init(config: MonitorConfiguration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        // What the monitor logs is a copy of the other processes' logs: a power loss that takes
        // its last commits costs a replay from the sources, so it does not sync every commit.
        let log = try EventLog(path: (config.dataDirectory as NSString).appendingPathComponent("monitor.sqlite"), service: "monitor",
                               durability: .replayable, readModel: MonitorState.readModel)
        try log.indexCorrelations()
        committer = Committer(log: log, metrics: metrics, snapshotEvery: config.snapshotEvery, alwaysSnapshot: [Self.core], projecting: false)
        retainer = Retainer(settings: config.retention, rules: MonitorState.retentionRules)
        retainer.batchLimit = Self.retirementBatch
        archive = try config.retention.archiveDirectory.map { try ArchiveWriter(directory: $0, service: "monitor") }
        state = MonitorState(patterns: config.patterns)
        system = SystemQueries(service: "monitor", startedMs: wallClockMs())
        let context = try ZMQContext()
        self.context = context
        sockets = try BoundSockets(context: context, config: config, source: "monitor", metrics: metrics, logger: logger)
        try recover()
    }

    private func recover() throws {
        let started = monotonicMs()
        let snapshots = try log.snapshots()
        let checkpoint = snapshots.first { $0.stream == Checkpoints.checkpointStream }
        var from: Int64 = 1
        // The working set's snapshot; one of another format (an earlier build's) is not trusted,
        // and the read side is rebuilt too when it is new.
        let rebuild = log.readSideIsNew && log.head > 0
        // The analytics in the read side count every event committed, those after the
        // checkpoint too: the replay does not count them again.
        var countingAnalytics = true
        if let checkpoint, checkpoint.data["format"]?.intValue == Checkpoints.format, !rebuild,
           let core = snapshots.first(where: { $0.stream == Self.core }) {
            state.restoreCore(core.data)
            do { state.restoreAnalytics(rows: try log.documents(Analytics.table.name)) } catch {
                throw HostError.recovery("reading the analytics", cause: error)
            }
            countingAnalytics = false
            from = checkpoint.seq + 1
        }
        var replayed = 0
        // Page by page: loading views and rebuilding the read side use the log, which cannot
        // happen inside a read of it.
        while true {
            let page = try log.read(from: from, limit: 5000)
            guard let last = page.last else { break }
            let replayable = page.filter { $0.stream != EventLog.retiredStream }
            try loadViews(for: replayable)
            for event in replayable { _ = state.apply(event, countingAnalytics: countingAnalytics) }
            let writes = state.takeChangedViews()
            if rebuild && !writes.isEmpty { try log.commit(LogBatch(writes: writes)) }
            state.trim()
            replayed += page.count
            from = last.seq + 1
        }
        alertsVersion = try log.version(ofStream: "alerts")
        // Resume each stream where the log ends: its version is the last sequence number consumed.
        var positions: [String: Int64] = [:]
        for source in config.sources { positions[source.name] = try log.version(ofStream: source.name) }
        streams = try StreamSubscriber(context: context, sources: config.sources, positions: positions, logger: logger, keys: config.keys)
        logger.info("monitor recovered", metadata: [
            "head": "\(log.head)", "active_sagas": "\(state.activeSagas.count)", "from": "\(from)", "replayed": "\(replayed)",
            "rebuilt_read_side": "\(rebuild)",
            "positions": "\(positions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            "ms": "\(monotonicMs() - started)", "router": "\(router.endpoint)", "pub": "\(publisher.endpoint)",
        ])
    }

    /// Loads the views the events touch that the state does not hold, from the read side.
    private func loadViews(for events: [Event]) throws {
        for orderID in state.ordersToLoad(for: events) {
            let document: JSON?
            do { document = try log.document(OrderView.table.name, key: orderID) } catch { throw HostError.fatalStorage("loading view \(orderID)", cause: error) }
            state.load(order: orderID, view: document.map(OrderView.init(json:)))
        }
    }

    /// Runs until a ``ControlMessage/stop`` arrives in `mailbox`.
    public func run(mailbox: Mailbox<ControlMessage>) throws {
        var poller = ZMQPoller()
        poller.add(router.socket)
        poller.add(publisher.socket)
        for socket in streams.sockets { poller.add(socket) }
        let wake = poller.add(fileDescriptor: mailbox.wakeup.readFD)
        sockets.pollAuthentication(with: &poller)
        streams.catchUp(now: monotonicMs())
        var stopping = false
        while !stopping {
            let nextHeartbeat = sockets.heartbeatIfDue(head: log.head, now: monotonicMs())
            let until = retainer.wake(by: min(nextHeartbeat, monotonicMs() + 200, waitingSince.map { $0 + Self.commitEveryMs } ?? .max))
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, until - monotonicMs()))) else { continue }
            if poller.isReadable(wake) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            try iterate()
            // Queries that came in meanwhile are answered between retirement batches.
            let budget = monotonicMs() + Retainer.iterationBudgetMs
            while retainer.isDue(now: monotonicMs()) && monotonicMs() < budget {
                try commitWaiting()
                try retire()
                try serveQueries()
            }
        }
        try commitWaiting()
        logger.info("stopping", metadata: ["head": "\(log.head)"])
        streams.close()
        sockets.close()
    }

    /// Answers the requests waiting on the ROUTER, 256 at most. The monitor takes no commands,
    /// so a query never waits for a commit: it reads what the last one left.
    private func serveQueries() throws {
        var served = 0
        while served < 256, let request = try router.next() {
            // A query reads the read side: what was consumed before it is committed first.
            if served == 0 { try commitWaiting() }
            switch request {
            case .query(let query, let route): answer(query, route: route)
            case .command(let command, let route):
                router.send(route: route, .error(ErrorReply(inReplyTo: command.id, code: .unknownType,
                                                            message: "the monitor takes queries only", field: "kind")))
            }
            served += 1
        }
    }

    private func iterate() throws {
        try serveQueries()
        let delivered = try streams.drain(now: monotonicMs())
        var units: [LogBatch] = []
        try loadViews(for: delivered.filter { $0.stream != EventLog.retiredStream })
        // A source's retention summaries are not the cluster's business: they are not copied
        // (the copy's numbering may skip, as the source's does).
        for event in delivered where event.stream != EventLog.retiredStream {
            let copy = NewEvent(type: event.type, data: event.data, correlationID: event.metadata.correlationID,
                                causationID: event.metadata.causationID, timeMs: event.metadata.timeMs)
            var appends = [StreamAppend(stream: event.metadata.service, expectedVersion: .any, events: [copy], firstVersion: event.seq)]
            let recorded = Event(seq: 0, stream: event.metadata.service, version: event.seq, type: event.type, data: event.data,
                                 metadata: event.metadata)
            for alert in state.apply(recorded) {
                logger.notice("alert", metadata: ["name": "\(alert.name)", "group": "\(alert.group ?? "-")"])
                // Numbered on from the last alert, whatever retention removed of the older ones.
                appends.append(StreamAppend(stream: "alerts", expectedVersion: .any,
                                            events: [NewEvent(type: alert.name, data: alert.data, correlationID: alert.group,
                                                              timeMs: alert.timeMs)], firstVersion: alertsVersion + 1))
                alertsVersion += 1
                _ = state.apply(Event(seq: 0, stream: "alerts", version: alertsVersion, type: alert.name, data: alert.data,
                                      metadata: EventMetadata(service: "monitor", timeMs: alert.timeMs)))
                metrics.gauge("zsaga_alerts").record(Int(alertsVersion))
            }
            units.append(LogBatch(appends: appends))
        }
        waiting += units
        if !units.isEmpty && waitingSince == nil { waitingSince = monotonicMs() }
        if let since = waitingSince, monotonicMs() - since >= Self.commitEveryMs || waiting.count >= Self.commitAtEvents {
            try commitWaiting()
        } else {
            publisher.drainSubscriptions()
        }
    }

    /// Commits the events consumed since the last commit, with one row per view they changed,
    /// the counters and (as the copies' stream versions) the consumers' positions, in one
    /// transaction; then publishes their alerts.
    private func commitWaiting() throws {
        guard waitingSince != nil || !waiting.isEmpty else { return }
        var units = waiting
        waiting.removeAll(keepingCapacity: true)
        waitingSince = nil
        let writes = state.takeChangedViews()
        if !writes.isEmpty { units.append(LogBatch(writes: writes)) }
        let committed = try committer.commit(units, faults: &faults).flatMap { $0 }
        if committed.isEmpty {
            publisher.drainSubscriptions()
        } else {
            // The working set's document is built only when a snapshot is due.
            try committer.committed(committed, snapshot: { $0 == Self.core ? state.coreJSON : nil }, faults: &faults, logger: logger) {
                publisher.publish($0.filter { $0.stream == "alerts" })
            }
        }
        // Views are forgotten only once written.
        state.trim()
    }

    /// One retention batch: views of sagas that settled before the window, with the monitor's
    /// copies of those sagas' events (archived first when configured), and alerts older than
    /// the window.
    private func retire() throws {
        let started = monotonicMs()
        let now = wallClockMs()
        let through = config.retention.window.start(at: now)
        let candidates: [Retainer.Candidate]
        do { candidates = try retainer.candidates(log, through: through, statusColumn: "saga_status") } catch {
            throw HostError.fatalStorage("retention", cause: error)
        }
        var retirement = Retirement()
        // A saga's order view and its saga row are retired together, its events once.
        let sagas = SagaRetirement(rows: candidates.map { ($0.table, $0.key, $0.document) })
        retirement.correlations = sagas.sagaIDs
        retirement.writes = sagas.writes
        retirement.olderEvents = [("alerts", through)]
        retirement.throughMs = through
        let events = try log.events(of: retirement, withSummary: archive != nil)
        guard events.contains(where: { $0.stream != EventLog.retiredStream }) || !candidates.isEmpty else {
            retainer.ran(retired: 0, moreCommands: false, started: started, now: monotonicMs())
            return
        }
        try committer.checkpoint(before: events, snapshot: { $0 == Self.core ? state.coreJSON : nil }, logger: logger)
        try archive?.write(events)
        let summary = try log.retire(retirement, removing: events, now: now)
        for orderID in sagas.orderIDs { state.forget(order: orderID) }
        retainer.ran(retired: candidates.count, moreCommands: false, started: started, now: monotonicMs())
        try committer.committed([summary], snapshot: { $0 == Self.core ? state.coreJSON : nil }, faults: &faults, logger: logger) { _ in }
    }

    // MARK: Queries

    private func answer(_ query: Query, route: [[UInt8]]) {
        do {
            router.send(route: route, .result(QueryResult(inReplyTo: query.id, body: try answerBody(query))))
        } catch {
            router.send(route: route, .error(ErrorReply(inReplyTo: query.id, error)))
        }
    }

    private func answerBody(_ query: Query) throws(WireError) -> JSON {
        let now = wallClockMs()
        if SystemQueries.handles(query.type) {
            return try system.answer(query, log: log, now: now, extra: ["streams": streams.status(now: monotonicMs()), "commit": committer.stats.json,
                                                                    "retention": retainer.json(log)])
        }
        let body = try Fields(query.body, path: "body")
        let limit = Int(try body.optionalInt("limit", in: 1...1000) ?? 100)
        switch query.type {
        case "monitor.GetOrder":
            let id = try body.identifier("order_id", maxBytes: 128)
            guard let order = try log.document(OrderView.table.name, key: id) else { throw WireError(.notFound, "no order \(id)", field: "body.order_id") }
            return ["order": order]
        case "monitor.OrdersByUser":
            let user = try body.identifier("user_id", maxBytes: 128)
            let rows = try log.rows(ReadQuery(table: OrderView.table.name, filter: ["user_id": .text(user)], order: "created_ms", descending: true,
                                              limit: limit))
            return ["user_id": .string(user), "count": .int(Int64(rows.count)), "orders": .array(rows.reversed().map(\.document))]
        case "monitor.Search":
            let text = try body.string("text", maxBytes: 128)
            let rows = try log.rows(ReadQuery(table: OrderView.table.name, limit: limit, search: (["id", "user_id"], text)))
            return ["text": .string(text), "count": .int(Int64(rows.count)), "orders": .array(rows.map(\.document))]
        case "monitor.Stats":
            return try state.statistics(reader: log, nowMs: now)
        case "monitor.ListSagas":
            return try listSagas(body, limit: limit)
        case "monitor.Series":
            let seconds = try body.optionalInt("seconds", in: 10...3600) ?? 300
            let series = state.analytics.series([MonitorState.key(.sagaCompleted), MonitorState.key(.sagaCompensated)],
                                                seconds: seconds, nowMs: now)
            return ["seconds": .int(seconds), "end_ms": .int(now),
                    "completed": .array(series[0].map { .int($0) }), "compensated": .array(series[1].map { .int($0) })]
        case "monitor.Timeline":
            let saga = try body.identifier("saga_id", maxBytes: 128)
            let events: [Event]
            do { events = try log.read(correlationID: saga) } catch { throw WireError(.internal, "reading the log failed: \(error)") }
            guard !events.isEmpty else { throw WireError(.notFound, "no events of saga \(saga)", field: "body.saga_id") }
            let started = events.lazy.filter { $0.stream == MonitorState.orchestrator }.compactMap { event -> SagaEvent.SagaStarted? in
                if case .sagaStarted(let started)? = try? SagaEvent(event) { return started } else { return nil }
            }.first
            let orderID = started?.context["order_id"]?.stringValue
            let order = try orderID.flatMap { id throws(WireError) in try log.document(OrderView.table.name, key: id) }
            let row = try log.document(SagaRow.table.name, key: saga)
            return ["saga_id": .string(saga), "saga": row ?? .null, "order": order ?? .null,
                    "timeline": .array(Timeline.build(events.filter { $0.stream != "alerts" }))]
        case "monitor.Analytics":
            let name = try body.optionalString("window", maxBytes: 8) ?? "1m"
            guard let window = AnalyticsWindow(rawValue: name) else {
                throw WireError(.invalidArgument, "must be 1m, 5m or 1h", field: "body.window")
            }
            let at = try body.optionalInt("now_ms", in: 0...Int64.max) ?? now
            return state.analytics.report(window: window, nowMs: at)
        case "monitor.Alerts":
            // The newest alerts only (their stream's last versions), not the whole history.
            let events: [Event]
            do { events = try log.read(stream: "alerts", fromVersion: max(1, alertsVersion - 999)) } catch {
                throw WireError(.internal, "reading the log failed: \(error)")
            }
            let name = try body.optionalString("name", maxBytes: 64)
            let alerts = events.filter { name == nil || $0.type == name }
            return ["count": .int(name == nil ? alertsVersion : Int64(alerts.count)), "alerts": .array(alerts.suffix(limit).map { event in
                ["name": .string(event.type), "group": event.metadata.correlationID.map { .string($0) } ?? .null,
                 "time_ms": .int(event.metadata.timeMs), "seq": .int(event.seq), "data": event.data]
            })]
        case "monitor.Patterns":
            return ["patterns": .array(state.patterns.patterns.map(\.json))]
        case "monitor.Stock":
            return ["items": .array(state.stock.keys.sorted().map { item in
                let level = state.stock[item]!
                return ["item_id": .string(item), "on_hand": .int(level.onHand), "reserved": .int(level.reserved),
                        "committed": .int(level.committed), "available": .int(level.available)]
            })]
        default:
            throw WireError(.unknownType, "the monitor does not answer \(query.type)", field: "type")
        }
    }
}
