import Domain
import SagaWire

/// Everything the monitor knows: a fold of the events it consumed (which it keeps in its own
/// log, stream = source service, version = the source's sequence number) and of its alerts.
public struct MonitorState: Sendable {
    /// Orders by id, joined across the services and their saga.
    public private(set) var orders: [String: OrderView] = [:]
    /// Order ids per user, in arrival order.
    public private(set) var byUser: [String: [String]] = [:]
    /// The order of each saga.
    public private(set) var sagaOrders: [String: String] = [:]
    /// Sagas per status (for every saga type).
    public private(set) var sagaCounts: [String: Int64] = [:]
    private var sagaStatuses: [String: String] = [:]
    public private(set) var analytics = Analytics()
    public private(set) var patterns: PatternEngine
    public private(set) var stock: [String: StockLevel] = [:]
    /// Alerts raised so far.
    public private(set) var alerts: Int64 = 0
    /// Orders changed since the last snapshot.
    public private(set) var dirtyOrders: Set<String> = []

    public init(patterns: [PatternDefinition]) {
        self.patterns = PatternEngine(patterns: patterns)
    }

    /// Applies one event from the monitor's log and returns the alerts it raises (recovery
    /// ignores them: the alerts it raised before are in the log already).
    public mutating func apply(_ event: Event) -> [Alert] {
        let source = event.stream
        if source == "alerts" {
            alerts += 1
            return []
        }
        let time = event.metadata.timeMs
        let key = "\(source).\(event.type)"
        analytics.record(service: source, event: event.type, data: event.data, timeMs: time)
        var raised = patterns.observe(key, data: event.data, timeMs: time)
        switch source {
        case "saga": applySaga(event)
        case "order", "payment", "shipping": applyService(event, source: source)
        case "inventory": raised += applyInventory(event)
        default: break
        }
        return raised
    }

    private mutating func view(_ orderID: String) -> OrderView {
        orders[orderID] ?? OrderView(orderID: orderID)
    }

    private mutating func store(_ view: OrderView, time: Int64) {
        var view = view
        if orders[view.orderID] == nil {
            view.createdMs = time
            if !view.userID.isEmpty { byUser[view.userID, default: []].append(view.orderID) }
        } else if let old = orders[view.orderID], old.userID.isEmpty, !view.userID.isEmpty {
            byUser[view.userID, default: []].append(view.orderID)
        }
        view.updatedMs = max(view.updatedMs, time)
        orders[view.orderID] = view
        dirtyOrders.insert(view.orderID)
    }

    private mutating func setSagaStatus(_ sagaID: String, _ status: String) {
        if let old = sagaStatuses[sagaID] { sagaCounts[old, default: 0] -= 1 }
        sagaCounts[status, default: 0] += 1
        if status == "completed" || status == "compensated" {
            sagaStatuses.removeValue(forKey: sagaID)
            terminalSagas += 1
        } else {
            sagaStatuses[sagaID] = status
        }
    }

    /// Settled sagas (no longer tracked one by one).
    private var terminalSagas: Int64 = 0

    private mutating func applySaga(_ event: Event) {
        guard event.stream == "saga", let sagaID = event.metadata.correlationID else { return }
        let time = event.metadata.timeMs
        switch event.type {
        case "SagaStarted":
            setSagaStatus(sagaID, "running")
            let context = event.data["context"] ?? [:]
            guard let orderID = context["order_id"]?.stringValue else { return }
            sagaOrders[sagaID] = orderID
            var order = view(orderID)
            order.sagaID = sagaID
            order.sagaStatus = "running"
            order.userID = order.userID.isEmpty ? (context["user_id"]?.stringValue ?? "") : order.userID
            order.totalCents = order.totalCents == 0 ? (context["amount_cents"]?.intValue ?? 0) : order.totalCents
            order.sagaStartedMs = time
            store(order, time: time)
        case "StepFailed", "SagaCompleted", "SagaCompensated", "SagaStuck", "SagaResumed":
            let status: String?
            switch event.type {
            case "StepFailed": status = "compensating"
            case "SagaCompleted": status = "completed"
            case "SagaCompensated": status = "compensated"
            case "SagaStuck": status = "stuck"
            default: status = nil
            }
            var newStatus = status
            if event.type == "SagaResumed" {
                newStatus = (orders[sagaOrders[sagaID] ?? ""]?.failure != nil) ? "compensating" : "running"
            }
            if let newStatus { setSagaStatus(sagaID, newStatus) }
            if let duration = event.data["duration_ms"]?.intValue, event.type == "SagaCompleted" || event.type == "SagaCompensated" {
                analytics.recordLatency(ms: duration, timeMs: time)
            }
            guard let orderID = sagaOrders[sagaID] else { return }
            var order = view(orderID)
            if let newStatus { order.sagaStatus = newStatus }
            if event.type == "StepFailed" { order.failure = event.data["message"]?.stringValue }
            if event.type == "SagaCompleted" || event.type == "SagaCompensated" { order.sagaEndedMs = time }
            store(order, time: time)
        default:
            return
        }
    }

    private mutating func applyService(_ event: Event, source: String) {
        guard let orderID = event.data["order_id"]?.stringValue else { return }
        let time = event.metadata.timeMs
        var order = view(orderID)
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
        store(order, time: time)
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
        var order = view(orderID)
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
        store(order, time: time)
        return gauges(touched, time: time)
    }

    /// The lines of active reservations, to undo them on release or commit.
    private var reservedLines: [String: [(String, Int64)]] = [:]

    private mutating func gauges(_ items: Set<String>, time: Int64) -> [Alert] {
        var alerts: [Alert] = []
        for item in items.sorted() {
            alerts += patterns.gauge("stock.available", group: item, value: stock[item]!.available, timeMs: time)
        }
        return alerts
    }

    /// Marks the dirty orders saved.
    public mutating func snapshotted() { dirtyOrders.removeAll(keepingCapacity: true) }

    // MARK: Statistics

    /// Totals: orders, sagas per status, orders created since `sinceMs`.
    public func statistics(sinceMs: Int64) -> JSON {
        // Orders as order-service has them: created (whatever became of them) or voided.
        let lastHour = orders.values.lazy.filter { $0.createdMs >= sinceMs && $0.orderStatus != nil }.count
        return ["orders": .int(Int64(orders.values.lazy.filter { $0.orderStatus != nil }.count)),
                "sagas": .int(sagaCounts.values.reduce(0, +)),
                "completed": .int(sagaCounts["completed", default: 0]), "compensated": .int(sagaCounts["compensated", default: 0]),
                "running": .int(sagaCounts["running", default: 0] + sagaCounts["compensating", default: 0]),
                "stuck": .int(sagaCounts["stuck", default: 0]), "orders_last_hour": .int(Int64(lastHour)),
                "alerts": .int(alerts)]
    }

    // MARK: Snapshots

    /// The state apart from the orders (which are snapshotted one by one).
    public var coreJSON: JSON {
        ["saga_counts": .object(sagaCounts.mapValues { .int($0) }),
         "saga_statuses": .object(sagaStatuses.mapValues { .string($0) }),
         "saga_orders": .object(sagaOrders.mapValues { .string($0) }),
         "analytics": analytics.json, "patterns": patterns.json, "alerts": .int(alerts),
         "stock": .object(stock.mapValues { ["on_hand": .int($0.onHand), "reserved": .int($0.reserved), "committed": .int($0.committed)] }),
         "reserved_lines": .object(reservedLines.mapValues { .array($0.map { [.string($0.0), .int($0.1)] }) })]
    }

    /// Restores the state apart from the orders.
    public mutating func restoreCore(_ json: JSON) {
        sagaCounts = (json["saga_counts"]?.objectValue?.dictionary ?? [:]).compactMapValues(\.intValue)
        sagaStatuses = (json["saga_statuses"]?.objectValue?.dictionary ?? [:]).compactMapValues(\.stringValue)
        sagaOrders = (json["saga_orders"]?.objectValue?.dictionary ?? [:]).compactMapValues(\.stringValue)
        analytics = Analytics(json: json["analytics"] ?? [:])
        patterns = PatternEngine(patterns: patterns.patterns, json: json["patterns"] ?? [:])
        alerts = json["alerts"]?.intValue ?? 0
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

    /// Restores one order.
    public mutating func restore(order: OrderView) {
        if orders[order.orderID] == nil, !order.userID.isEmpty { byUser[order.userID, default: []].append(order.orderID) }
        orders[order.orderID] = order
    }
}
