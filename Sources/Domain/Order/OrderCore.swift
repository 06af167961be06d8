import SagaWire
import ServiceModel

/// order-service's core: orders created, confirmed and cancelled.
///
/// Commands: `order.CreateOrder`, `order.ConfirmOrder`, `order.CancelOrder`.
/// Events: `OrderCreated`, `OrderConfirmed`, `OrderCancelled`, `OrderVoided`.
/// Queries: `order.GetOrder`, `order.OrdersByUser`, `order.ListOrders`, `order.Stats`.
///
/// It keeps no history in memory: a decision's order is loaded from its stream (and cached),
/// and the read side (table `orders`, counters `orders.*`) is written with the events.
public struct OrderCore: ServiceCore {
    public static let serviceName = "order"
    public static let commandTypes = ["order.CreateOrder", "order.ConfirmOrder", "order.CancelOrder"]
    public static let queryTypes = ["order.GetOrder", "order.OrdersByUser", "order.ListOrders", "order.Stats"]
    public static let readModel = ReadModelSchema([
        ReadTable("orders", columns: ["user_id", "status", "created_ms", "updated_ms"],
                  indexes: [["status", "updated_ms"], ["user_id", "created_ms"]]),
    ])
    /// A created order waits for its saga; every other status is settled.
    public static let retentionRules = [
        RetentionRule(table: "orders", settledStatuses: ["confirmed", "cancelled", "voided"], streamPrefix: "order-"),
    ]

    /// Orders loaded from their streams, by stream.
    private var orders: AggregateCache<Order>

    /// - Parameter cacheCapacity: most orders kept loaded.
    public init(cacheCapacity: Int = 20_000) {
        orders = AggregateCache(capacity: cacheCapacity)
    }

    /// No orders loaded: an order's events fold on their own.
    public var retirementFold: OrderCore { OrderCore(cacheCapacity: orders.capacity) }

    // MARK: Commands

    public func streams(for command: Command) throws(WireError) -> [String] {
        [Order.stream(try command.fields().identifier("order_id", maxBytes: Limits.idBytes))]
    }

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Order.stream(orderID)
        let existing = orders[stream]
        switch command.type {
        case "order.CreateOrder":
            let userID = try body.identifier("user_id", maxBytes: Limits.idBytes)
            let lines = try OrderLine.parse(body, requirePrice: true)
            guard let existing else {
                let data: JSON = ["order_id": .string(orderID), "user_id": .string(userID),
                                  "items": .array(lines.map(\.json)), "total_cents": .int(OrderLine.total(lines))]
                return .ok(["order_id": .string(orderID), "total_cents": .int(OrderLine.total(lines))],
                           [append(stream, at: 0, command.event("OrderCreated", data, at: now))])
            }
            if existing.status == .voided {
                return .rejected("aborted", "order \(orderID) was cancelled before it was created")
            }
            return .rejected("order_exists", "order \(orderID) already exists (status \(existing.status.rawValue))")

        case "order.ConfirmOrder":
            guard let existing else { return .rejected("unknown_order", "order \(orderID) does not exist") }
            switch existing.status {
            case .created:
                return .ok(["order_id": .string(orderID), "status": "confirmed"],
                           [append(stream, at: existing.version, command.event("OrderConfirmed", ["order_id": .string(orderID)], at: now))])
            case .confirmed:
                return .ok(["order_id": .string(orderID), "status": "confirmed"])
            case .cancelled, .voided:
                return .rejected("order_cancelled", "order \(orderID) is \(existing.status.rawValue)")
            }

        case "order.CancelOrder":
            let reason = try body.optionalString("reason", maxBytes: 256)
            var data: JSON = ["order_id": .string(orderID)]
            if let reason { data = ["order_id": .string(orderID), "reason": .string(reason)] }
            guard let existing else {
                // Compensation without its action: a no-op that fences a late CreateOrder.
                return .ok(["order_id": .string(orderID), "status": "voided"],
                           [append(stream, at: 0, command.event("OrderVoided", data, at: now))])
            }
            switch existing.status {
            case .created:
                return .ok(["order_id": .string(orderID), "status": "cancelled"],
                           [append(stream, at: existing.version, command.event("OrderCancelled", data, at: now))])
            case .cancelled, .voided:
                return .ok(["order_id": .string(orderID), "status": .string(existing.status.rawValue)])
            case .confirmed:
                return .rejected("already_confirmed", "order \(orderID) is confirmed and cannot be cancelled")
            }

        default:
            throw unknownType(command.type, service: Self.serviceName)
        }
    }

    // MARK: Events

    public func holds(_ stream: String) -> Bool { orders.holds(stream) }

    public mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        var order: Order?
        for event in events { order = try Order.folding(order, event) }
        orders.put(stream, order)
    }

    public mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let old = orders[event.stream]
        let order = try Order.folding(old, event)
        orders.put(event.stream, order)
        var writes: [ReadWrite] = [.put(table: "orders", key: order.orderID, columns: [
            "user_id": order.userID.isEmpty ? .null : .text(order.userID), "status": .text(order.status.rawValue),
            "created_ms": .int(order.createdMs), "updated_ms": .int(order.updatedMs),
        ], document: order.json)]
        if let old {
            writes.append(.count("orders.status.\(old.status.rawValue)", by: -1))
        } else {
            writes.append(.count("orders.total", by: 1))
            if !order.userID.isEmpty { writes.append(.count("user_orders.\(order.userID)", by: 1, onCreate: "orders.users")) }
        }
        writes.append(.count("orders.status.\(order.status.rawValue)", by: 1))
        if order.status == .confirmed {
            writes.append(.count("orders.confirmed_cents", by: order.totalCents))
            // The units confirmed orders bought, per item: what inventory's committed stock must match.
            for line in order.lines { writes.append(.count("orders.confirmed_units.\(line.itemID)", by: line.quantity)) }
        }
        return writes
    }

    public mutating func trim() { orders.trim() }

    public mutating func forget(_ stream: String) { orders.remove(stream) }

    // MARK: Queries

    public func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "order.GetOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            guard let order = try reader.document("orders", key: orderID) else {
                throw WireError(.notFound, "no order \(orderID)", field: "body.order_id")
            }
            return ["order": order]
        case "order.OrdersByUser":
            let userID = try body.identifier("user_id", maxBytes: Limits.idBytes)
            let limit = Int(try body.optionalInt("limit", in: 1...Limits.maxPage) ?? 100)
            // The newest `limit`, listed oldest first.
            let rows = try reader.rows(ReadQuery(table: "orders", filter: ["user_id": .text(userID)], order: "created_ms",
                                                 descending: true, limit: limit))
            return ["user_id": .string(userID), "count": .int(try reader.counter("user_orders.\(userID)")),
                    "orders": .array(rows.reversed().map(\.document))]
        case "order.ListOrders":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Order.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of created, confirmed, cancelled, voided", field: "body.status")
            }
            let (orders, next) = try reader.page("orders", filter: status.map { ["status": .text($0)] } ?? [:], try Page(body))
            return ["orders": .array(orders), "next": next.map { .string($0) } ?? .null]
        case "order.Stats":
            let counters = try reader.counters(prefix: "orders.")
            var byStatus: [String: JSON] = [:]
            for status in Order.Status.allCases { byStatus[status.rawValue] = .int(counters["orders.status.\(status.rawValue)", default: 0]) }
            return ["total": .int(counters["orders.total", default: 0]), "by_status": .object(byStatus),
                    "confirmed_total_cents": .int(counters["orders.confirmed_cents", default: 0]),
                    "users": .int(counters["orders.users", default: 0])]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    // MARK: Snapshots

    /// Orders are loaded on demand: nothing of them is part of the working set.
    public func snapshot(stream: String) -> JSON? { nil }

    /// Snapshots of earlier versions (one per order) are not needed: ignored.
    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {}
}
