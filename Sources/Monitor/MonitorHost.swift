import EventLog
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
    private let log: EventLog
    private let context: ZMQContext
    private let sockets: BoundSockets
    private var router: RouterServer { sockets.router }
    private var publisher: EventPublisher { sockets.publisher }
    private var streams: StreamSubscriber!
    private var state: MonitorState
    private let system: SystemQueries
    private var alertsVersion: Int64 = 0
    private var eventsSinceSnapshot = 0
    private var stats = CommitStats()
    private let metrics = HostMetrics(service: "monitor")

    static let checkpoint = "$checkpoint"
    static let core = "$monitor"

    /// The endpoints actually bound.
    public var endpoints: (router: String, pub: String) { (router.endpoint, publisher.endpoint) }

    public init(config: MonitorConfiguration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        log = try EventLog(path: (config.dataDirectory as NSString).appendingPathComponent("monitor.sqlite"), service: "monitor")
        try log.indexCorrelations()
        state = MonitorState(patterns: config.patterns)
        system = SystemQueries(service: "monitor", startedMs: wallClockMs())
        let context = try ZMQContext()
        self.context = context
        sockets = try BoundSockets(context: context, config: config, source: "monitor", metrics: metrics, logger: logger)
        try recover()
    }

    private func recover() throws {
        let started = monotonicMs()
        var checkpoint: Int64 = 0
        var restored = 0
        for snapshot in try log.snapshots() {
            switch snapshot.stream {
            case Self.checkpoint: checkpoint = snapshot.seq
            case Self.core: state.restoreCore(snapshot.data)
            default:
                state.restore(order: OrderView(json: snapshot.data))
                restored += 1
            }
        }
        var replayed = 0
        try log.forEachEvent(from: checkpoint + 1) { event in
            _ = state.apply(event)
            replayed += 1
        }
        eventsSinceSnapshot = replayed
        alertsVersion = try log.version(ofStream: "alerts")
        // Resume each stream where the log ends: its version is the last sequence number consumed.
        var positions: [String: Int64] = [:]
        for source in config.sources { positions[source.name] = try log.version(ofStream: source.name) }
        streams = try StreamSubscriber(context: context, sources: config.sources, positions: positions, logger: logger, keys: config.keys)
        logger.info("monitor recovered", metadata: [
            "head": "\(log.head)", "orders": "\(state.orders.count)", "snapshots": "\(restored)", "replayed": "\(replayed)",
            "positions": "\(positions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            "ms": "\(monotonicMs() - started)", "router": "\(router.endpoint)", "pub": "\(publisher.endpoint)",
        ])
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
            guard try poller.pollUnlessInterrupted(timeout: Int(max(0, min(nextHeartbeat - monotonicMs(), 200)))) else { continue }
            if poller.isReadable(wake) && mailbox.takeStop() { stopping = true }
            sockets.serveAuthentication()
            try iterate()
        }
        logger.info("stopping", metadata: ["head": "\(log.head)"])
        streams.close()
        sockets.close()
    }

    private func iterate() throws {
        var queries: [(Query, [[UInt8]])] = []
        while queries.count < 256, let request = try router.next() {
            switch request {
            case .query(let query, let route): queries.append((query, route))
            case .command(let command, let route):
                router.send(route: route, .error(ErrorReply(inReplyTo: command.id, code: .unknownType,
                                                            message: "the monitor takes queries only", field: "kind")))
            }
        }
        let delivered = try streams.drain(now: monotonicMs())
        var units: [LogBatch] = []
        for event in delivered {
            let copy = NewEvent(type: event.type, data: event.data, correlationID: event.metadata.correlationID,
                                causationID: event.metadata.causationID, timeMs: event.metadata.timeMs)
            var appends = [StreamAppend(stream: event.metadata.service, expectedVersion: event.seq == 1 ? .noStream : .exact(event.seq - 1),
                                        events: [copy])]
            let recorded = Event(seq: 0, stream: event.metadata.service, version: event.seq, type: event.type, data: event.data,
                                 metadata: event.metadata)
            for alert in state.apply(recorded) {
                logger.notice("alert", metadata: ["name": "\(alert.name)", "group": "\(alert.group ?? "-")"])
                metrics.gauge("zsaga_alerts").record(state.alerts + 1)
                appends.append(StreamAppend(stream: "alerts", expectedVersion: alertsVersion == 0 ? .noStream : .exact(alertsVersion),
                                            events: [NewEvent(type: alert.name, data: alert.data, correlationID: alert.group,
                                                              timeMs: alert.timeMs)]))
                alertsVersion += 1
                _ = state.apply(Event(seq: 0, stream: "alerts", version: alertsVersion, type: alert.name, data: alert.data,
                                      metadata: EventMetadata(service: "monitor", timeMs: alert.timeMs)))
            }
            units.append(LogBatch(appends: appends))
        }
        var committed: [Event] = []
        if !units.isEmpty {
            let started = monotonicMicros()
            let results: [Result<[Event], EventLogError>]
            do { results = try log.commit(group: units) } catch { throw HostError.fatalStorage("\(error)") }
            for result in results {
                do { committed += try result.get() } catch { throw HostError.fatalStorage("monitor batch refused: \(error)") }
            }
            stats.record(units: units.count, events: committed.count, micros: monotonicMicros() - started)
            metrics.commit(units: units.count, micros: monotonicMicros() - started)
        }
        for (query, route) in queries { answer(query, route: route) }
        if !committed.isEmpty {
            publisher.publish(committed.filter { $0.stream == "alerts" })
            eventsSinceSnapshot += committed.count
            if config.snapshotEvery > 0 && eventsSinceSnapshot >= config.snapshotEvery { try snapshot() }
        } else {
            publisher.drainSubscriptions()
        }
    }

    private func snapshot() throws {
        let head = log.head
        var snapshots = state.dirtyOrders.sorted().compactMap { id in
            state.orders[id].map { Snapshot(stream: "order-\(id)", version: 0, seq: head, data: $0.json) }
        }
        snapshots.append(Snapshot(stream: Self.core, version: 0, seq: head, data: state.coreJSON))
        snapshots.append(Snapshot(stream: Self.checkpoint, version: 0, seq: head, data: [:]))
        do { try log.commit(LogBatch(snapshots: snapshots)) } catch { throw HostError.fatalStorage("snapshot: \(error)") }
        state.snapshotted()
        eventsSinceSnapshot = 0
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
            return try system.answer(query, log: log, now: now, extra: ["streams": streams.status, "commit": stats.json])
        }
        let body = try Fields(query.body, path: "body")
        let limit = Int(try body.optionalInt("limit", in: 1...1000) ?? 100)
        switch query.type {
        case "monitor.GetOrder":
            let id = try body.identifier("order_id", maxBytes: 128)
            guard let order = state.orders[id] else { throw WireError(.notFound, "no order \(id)", field: "body.order_id") }
            return ["order": order.json]
        case "monitor.OrdersByUser":
            let user = try body.identifier("user_id", maxBytes: 128)
            let ids = state.byUser[user] ?? []
            return ["user_id": .string(user), "count": .int(Int64(ids.count)),
                    "orders": .array(ids.suffix(limit).compactMap { state.orders[$0]?.json })]
        case "monitor.Search":
            let text = try body.string("text", maxBytes: 128).lowercased()
            var found: [OrderView] = []
            for order in state.orders.values where order.orderID.lowercased().contains(text) || order.userID.lowercased().contains(text) {
                found.append(order)
            }
            found.sort { $0.orderID < $1.orderID }
            return ["text": .string(text), "count": .int(Int64(found.count)), "orders": .array(found.prefix(limit).map(\.json))]
        case "monitor.Stats":
            return state.statistics(sinceMs: now - 3_600_000)
        case "monitor.ListSagas":
            let status = try body.optionalString("status", maxBytes: 32)
            let text = try body.optionalString("text", maxBytes: 128)?.lowercased()
            var found = state.orders.values.filter { order in
                order.sagaID != nil && (status == nil || order.sagaStatus == status)
                    && (text == nil || text!.isEmpty || order.orderID.lowercased().contains(text!)
                        || order.userID.lowercased().contains(text!) || (order.sagaID ?? "").lowercased().contains(text!))
            }
            found.sort { ($0.sagaStartedMs ?? 0, $0.orderID) > ($1.sagaStartedMs ?? 0, $1.orderID) }
            return ["count": .int(Int64(found.count)), "sagas": .array(found.prefix(limit).map(\.json))]
        case "monitor.Series":
            let seconds = try body.optionalInt("seconds", in: 10...3600) ?? 300
            let series = state.analytics.series(["saga.SagaCompleted", "saga.SagaCompensated"], seconds: seconds, nowMs: now)
            return ["seconds": .int(seconds), "end_ms": .int(now),
                    "completed": .array(series[0].map { .int($0) }), "compensated": .array(series[1].map { .int($0) })]
        case "monitor.Timeline":
            let saga = try body.identifier("saga_id", maxBytes: 128)
            let events: [Event]
            do { events = try log.read(correlationID: saga) } catch { throw WireError(.internal, "reading the log failed: \(error)") }
            guard !events.isEmpty else { throw WireError(.notFound, "no events of saga \(saga)", field: "body.saga_id") }
            let order = state.sagaOrders[saga].flatMap { state.orders[$0] }
            return ["saga_id": .string(saga), "order": order?.json ?? .null,
                    "timeline": .array(Timeline.build(events.filter { $0.stream != "alerts" }))]
        case "monitor.Analytics":
            let name = try body.optionalString("window", maxBytes: 8) ?? "1m"
            guard let window = AnalyticsWindow(rawValue: name) else {
                throw WireError(.invalidArgument, "must be 1m, 5m or 1h", field: "body.window")
            }
            let at = try body.optionalInt("now_ms", in: 0...Int64.max) ?? now
            return state.analytics.report(window: window, nowMs: at)
        case "monitor.Alerts":
            let events: [Event]
            do { events = try log.read(stream: "alerts") } catch { throw WireError(.internal, "reading the log failed: \(error)") }
            let name = try body.optionalString("name", maxBytes: 64)
            let alerts = events.filter { name == nil || $0.type == name }
            return ["count": .int(Int64(alerts.count)), "alerts": .array(alerts.suffix(limit).map { event in
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
