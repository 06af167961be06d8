import SagaWire
import ServiceModel

/// What the monitor knows: a fold of the events it consumed (which it keeps in its own log,
/// stream = source service, version = the source's sequence number) and of its alerts.
///
/// In memory it keeps only its working set: the analytics windows (an hour), the patterns'
/// windows, stock per item, the sagas that can still move and the reservations that hold
/// stock, and a bounded cache of order views. The order views themselves live in the read side
/// (table `orders`), written in the commit of the events that changed them, with the counters
/// `monitor.*` and the analytics' seconds (table `analytics`). The working set's snapshot
/// (``coreJSON``) holds neither the views nor the analytics: it stays small.
public struct MonitorState: Sendable {
    /// The read side.
    public static let readModel = ReadModelSchema([
        OrderView.table,
        SagaRow.table,
        Analytics.table,
    ])
    /// A view whose saga settled (completed or compensated: it has an end) is retired with the
    /// monitor's copies of that saga's events.
    public static let retentionRules = [
        RetentionRule(table: OrderView.table.name, settledStatuses: [], streamPrefix: "", timeColumn: "saga_ended_ms"),
        RetentionRule(table: SagaRow.table.name, settledStatuses: [], streamPrefix: "", timeColumn: "saga_ended_ms"),
    ]

    /// The source whose events are the orchestrator's (its saga events).
    public static let orchestrator = "saga"

    /// The analytics' and patterns' key of an event type of `source`: `<source>.<type>`.
    public static func key(_ source: String, _ type: String) -> String { "\(source).\(type)" }

    /// The key of one of the orchestrator's event types, e.g. `saga.SagaCompleted`.
    public static func key(_ type: SagaEventType) -> String { key(orchestrator, type.rawValue) }

    /// Order views loaded, by order id (`nil`: none yet).
    private var views: AggregateCache<OrderView>
    /// Sagas that can still move, by id.
    public private(set) var activeSagas: [String: SagaRow] = [:]
    /// Saga rows changed since the last ``takeChangedViews()``.
    private var changedSagas: [String: SagaRow] = [:]
    public private(set) var analytics = Analytics()
    public private(set) var patterns: PatternEngine
    public private(set) var stock: [String: StockLevel] = [:]
    /// The lines of the reservations that hold stock, to undo them on release or commit.
    private var reservedLines: [String: [(String, Int64)]] = [:]
    /// Views changed since the last ``takeChangedViews()``.
    private var changed: Set<String> = []
    /// Counter deltas since the last ``takeChangedViews()``.
    private var counts: [String: Int64] = [:]

    public init(patterns: [PatternDefinition], cacheCapacity: Int = 20_000) {
        self.patterns = PatternEngine(patterns: patterns)
        views = AggregateCache(capacity: cacheCapacity)
    }

    /// The orders whose views the events touch and the cache does not hold: the host loads them
    /// (``load(order:view:)``) before applying the events.
    public func ordersToLoad(for events: [Event]) -> [String] {
        var wanted: [String] = []
        var seen: Set<String> = []
        for event in events {
            let orderID: String?
            if event.metadata.service == Self.orchestrator {
                if event.type == SagaEventType.sagaStarted.rawValue, case .sagaStarted(let started)? = try? SagaEvent(event) {
                    orderID = started.context["order_id"]?.stringValue
                } else {
                    orderID = event.metadata.correlationID.flatMap { activeSagas[$0]?.orderID }
                }
            } else {
                orderID = event.data["order_id"]?.stringValue
            }
            if let orderID, !views.holds(orderID), seen.insert(orderID).inserted { wanted.append(orderID) }
        }
        return wanted
    }

    /// Puts a view read from the read side into the cache (`nil`: there is none).
    public mutating func load(order id: String, view: OrderView?) {
        views.put(id, view)
    }

    /// A loaded view.
    public func view(_ orderID: String) -> OrderView? { views[orderID] }

    /// Applies one event from the monitor's log (the source's name is its stream) and returns
    /// the alerts it raises (recovery ignores them: the alerts it raised before are in the log
    /// already). The views it needs are loaded. `countingAnalytics` is false when the event is
    /// counted in the analytics read back from the read side already (a replay after a restart).
    public mutating func apply(_ event: Event, countingAnalytics: Bool = true) -> [Alert] {
        let source = event.stream
        if source == "alerts" {
            counts["monitor.alerts", default: 0] += 1
            return []
        }
        let time = event.metadata.timeMs
        let key = Self.key(source, event.type)
        if countingAnalytics { analytics.record(service: source, event: event.type, data: event.data, timeMs: time) }
        var raised = patterns.observe(key, data: event.data, timeMs: time)
        switch source {
        case Self.orchestrator: applySaga(event, countingAnalytics: countingAnalytics)
        case "order", "payment", "shipping": applyService(event)
        case "inventory": raised += applyInventory(event)
        default: break
        }
        return raised
    }

    /// The read-side writes of everything applied since the last call: one row per changed
    /// view (however many events changed it), the counters and the analytics' changed seconds.
    public mutating func takeChangedViews() -> [ReadWrite] {
        var writes: [ReadWrite] = changed.sorted().compactMap { id in
            views[id].map { view in
                .put(table: OrderView.table.name, key: id, columns: [
                    "user_id": view.userID.isEmpty ? .null : .text(view.userID), "saga_id": view.sagaID.map(ReadValue.text) ?? .null,
                    "saga_status": view.sagaStatus.map { .text($0.rawValue) } ?? .null,
                    "saga_started_ms": view.sagaStartedMs.map(ReadValue.int) ?? .null, "created_ms": .int(view.createdMs),
                    "saga_ended_ms": view.sagaEndedMs.map(ReadValue.int) ?? .null,
                ], document: view.json)
            }
        }
        writes += changedSagas.keys.sorted().map { changedSagas[$0]!.write }
        for (name, delta) in counts.sorted(by: { $0.key < $1.key }) where delta != 0 { writes.append(.count(name, by: delta)) }
        writes += analytics.takeWrites()
        changed.removeAll(keepingCapacity: true)
        changedSagas.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        return writes
    }

    /// Forgets cached views beyond the cache's bound.
    public mutating func trim() { views.trim() }

    /// Forgets a view retention removed.
    public mutating func forget(order id: String) { views.remove(id) }

    private mutating func store(_ view: OrderView, time: Int64, wasNew: Bool) {
        var view = view
        if wasNew { view.createdMs = time }
        view.updatedMs = max(view.updatedMs, time)
        views.put(view.orderID, view)
        changed.insert(view.orderID)
    }

    /// Records a saga's row: counts its move from its previous status, and forgets it once
    /// settled (its row is written with the batch).
    private mutating func setSaga(_ row: SagaRow) {
        if let old = activeSagas[row.sagaID] {
            counts["monitor.sagas.\(old.status.rawValue)", default: 0] -= 1
        } else {
            counts["monitor.sagas.total", default: 0] += 1
        }
        counts["monitor.sagas.\(row.status.rawValue)", default: 0] += 1
        activeSagas[row.sagaID] = row.isSettled ? nil : row
        changedSagas[row.sagaID] = row
    }

    private mutating func applySaga(_ event: Event, countingAnalytics: Bool) {
        guard let sagaID = event.metadata.correlationID, let move = try? SagaEvent(event) else { return }
        let time = event.metadata.timeMs
        switch move {
        case .sagaStarted(let started):
            // A saga this monitor follows from its start (a replay after a restart finds it active).
            guard activeSagas[sagaID] == nil else { return }
            let row = SagaRow(sagaID: sagaID, started: started, timeMs: time)
            setSaga(row)
            guard let orderID = row.orderID else { return }
            let existing = views[orderID]
            var order = existing ?? OrderView(orderID: orderID)
            order.sagaID = sagaID
            order.sagaStatus = .running
            order.userID = order.userID.isEmpty ? (started.context["user_id"]?.stringValue ?? "") : order.userID
            order.totalCents = order.totalCents == 0 ? (started.context["amount_cents"]?.intValue ?? 0) : order.totalCents
            order.sagaStartedMs = time
            store(order, time: time, wasNew: existing == nil)
        case .stepFailed, .sagaCompleted, .sagaCompensated, .sagaStuck, .sagaResumed:
            guard var row = activeSagas[sagaID] else { return }
            var duration: Int64?
            switch move {
            case .stepFailed(let e):
                row.status = .compensating
                row.failure = e.message
            case .sagaCompleted(let e):
                row.status = .completed
                duration = e.durationMs
            case .sagaCompensated(let e):
                row.status = .compensated
                duration = e.durationMs
            case .sagaStuck(let e):
                row.status = .stuck
                row.stuckReason = e.reason
            default:
                row.status = row.failure != nil ? .compensating : .running
                row.stuckReason = nil
            }
            if row.isSettled { row.endedMs = time }
            setSaga(row)
            if countingAnalytics, let duration, row.isSettled {
                analytics.recordLatency(ms: duration, timeMs: time)
            }
            guard let orderID = row.orderID else { return }
            let existing = views[orderID]
            var order = existing ?? OrderView(orderID: orderID)
            order.sagaStatus = row.status
            if move.type == .stepFailed { order.failure = row.failure }
            if row.isSettled { order.sagaEndedMs = time }
            store(order, time: time, wasNew: existing == nil)
        case .definitionRegistered, .stepSucceeded, .stepRetrying, .compensationSucceeded, .completionSucceeded:
            return
        }
    }

    private mutating func applyService(_ event: Event) {
        guard let orderID = event.data["order_id"]?.stringValue else { return }
        let time = event.metadata.timeMs
        let existing = views[orderID]
        var order = existing ?? OrderView(orderID: orderID)
        let hadOrder = order.orderStatus != nil
        switch event.type {
        case "OrderCreated":
            order.orderStatus = "created"
            order.userID = event.data["user_id"]?.stringValue ?? order.userID
            order.totalCents = event.data["total_cents"]?.intValue ?? order.totalCents
        case "OrderConfirmed": order.orderStatus = "confirmed"
        case "OrderCancelled": order.orderStatus = "cancelled"
        case "OrderVoided": order.orderStatus = "voided"
        case "PaymentCharged":
            order.paymentStatus = "charged"
            order.amountCents = event.data["amount_cents"]?.intValue ?? 0
        case "PaymentDeclined": order.paymentStatus = "declined"
        case "PaymentRefunded": order.paymentStatus = "refunded"
        case "PaymentVoided": order.paymentStatus = "voided"
        case "ShipmentCreated": order.shipmentStatus = "created"
        case "ShipmentCancelled": order.shipmentStatus = "cancelled"
        case "ShipmentVoided": order.shipmentStatus = "voided"
        default: return
        }
        // Orders as order-service has them: created (whatever became of them) or voided.
        if !hadOrder && order.orderStatus != nil { counts["monitor.orders", default: 0] += 1 }
        store(order, time: time, wasNew: existing == nil)
    }

    private mutating func applyInventory(_ event: Event) -> [Alert] {
        let time = event.metadata.timeMs
        var touched: Set<String> = []
        func lines() -> [(String, Int64)] {
            (event.data["items"]?.arrayValue ?? []).compactMap { line in
                guard let item = line["item_id"]?.stringValue, let quantity = line["quantity"]?.intValue else { return nil }
                return (item, quantity)
            }
        }
        switch event.type {
        case "StockInitialized", "StockAdded":
            if let item = event.data["item_id"]?.stringValue {
                stock[item, default: StockLevel()].onHand += event.data["quantity"]?.intValue ?? 0
                touched.insert(item)
            }
            return gauges(touched, time: time)
        case "InventoryReserved":
            for (item, quantity) in lines() { stock[item, default: StockLevel()].reserved += quantity; touched.insert(item) }
        default:
            break
        }
        guard let orderID = event.data["order_id"]?.stringValue else { return gauges(touched, time: time) }
        let existing = views[orderID]
        var order = existing ?? OrderView(orderID: orderID)
        switch event.type {
        case "InventoryReserved": order.reservationStatus = "reserved"
        case "InventoryReservationRejected": order.reservationStatus = "rejected"
        case "ReservationVoided": order.reservationStatus = "voided"
        case "ReservationReleased", "ReservationCommitted":
            // The event carries only the order id: the lines are those of the reservation.
            let committing = event.type == "ReservationCommitted"
            for (item, quantity) in reservedLines[orderID] ?? [] {
                stock[item, default: StockLevel()].reserved -= quantity
                if committing { stock[item, default: StockLevel()].committed += quantity }
                touched.insert(item)
            }
            reservedLines.removeValue(forKey: orderID)
            order.reservationStatus = committing ? "committed" : "released"
        default:
            return gauges(touched, time: time)
        }
        if event.type == "InventoryReserved" { reservedLines[orderID] = lines() }
        store(order, time: time, wasNew: existing == nil)
        return gauges(touched, time: time)
    }

    private mutating func gauges(_ items: Set<String>, time: Int64) -> [Alert] {
        var alerts: [Alert] = []
        for item in items.sorted() {
            alerts += patterns.gauge("stock.available", group: item, value: stock[item]!.available, timeMs: time)
        }
        return alerts
    }

    // MARK: Statistics

    /// Totals from the counters: orders, sagas per status, orders created in the last hour,
    /// alerts.
    public func statistics(reader: some ReadModelReader, nowMs: Int64) throws(WireError) -> JSON {
        let counters = try reader.counters(prefix: "monitor.")
        func count(_ name: String) -> Int64 { counters["monitor.\(name)", default: 0] }
        let lastHour = analytics.aggregate("order.OrderCreated", window: .oneHour, nowMs: nowMs).count
            + analytics.aggregate("order.OrderVoided", window: .oneHour, nowMs: nowMs).count
        return ["orders": .int(count("orders")), "sagas": .int(count("sagas.total")),
                "completed": .int(count("sagas.completed")), "compensated": .int(count("sagas.compensated")),
                "running": .int(count("sagas.running") + count("sagas.compensating")), "stuck": .int(count("sagas.stuck")),
                "orders_last_hour": .int(lastHour), "alerts": .int(count("alerts"))]
    }

    // MARK: Snapshots

    /// The working set (the views and the analytics are in the read side).
    public var coreJSON: JSON {
        ["active_sagas": .object(JSONObject(activeSagas.mapValues(\.json))),
         "patterns": patterns.json,
         "stock": .object(JSONObject(stock.mapValues {
             ["on_hand": .int($0.onHand), "reserved": .int($0.reserved), "committed": .int($0.committed)]
         })),
         "reserved_lines": .object(JSONObject(reservedLines.mapValues { .array($0.map { [.string($0.0), .int($0.1)] }) }))]
    }

    /// Restores the analytics from the rows of their table.
    public mutating func restoreAnalytics(rows: [String: JSON]) {
        analytics = Analytics(rows: rows)
    }

    /// Restores the working set.
    public mutating func restoreCore(_ json: JSON) {
        activeSagas = (json["active_sagas"]?.objectValue?.dictionary ?? [:]).compactMapValues(SagaRow.init(json:))
        patterns = PatternEngine(patterns: patterns.patterns, json: json["patterns"] ?? [:])
        stock = (json["stock"]?.objectValue?.dictionary ?? [:]).mapValues {
            StockLevel(onHand: $0["on_hand"]?.intValue ?? 0, reserved: $0["reserved"]?.intValue ?? 0, committed: $0["committed"]?.intValue ?? 0)
        }
        reservedLines = (json["reserved_lines"]?.objectValue?.dictionary ?? [:]).mapValues { lines in
            (lines.arrayValue ?? []).compactMap { pair in
                guard let item = pair.arrayValue?.first?.stringValue, let quantity = pair.arrayValue?.last?.intValue else { return nil }
                return (item, quantity)
            }
        }
    }
}
