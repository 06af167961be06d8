import SagaWire

/// order-service's core: orders created, confirmed and cancelled, and the order read models.
///
/// Commands: `order.CreateOrder`, `order.ConfirmOrder`, `order.CancelOrder`.
/// Events: `OrderCreated`, `OrderConfirmed`, `OrderCancelled`, `OrderVoided`.
/// Queries: `order.GetOrder`, `order.OrdersByUser`, `order.ListOrders`, `order.Stats`.
public struct OrderCore: ServiceCore {
    public static let serviceName = "order"
    public static let commandTypes = ["order.CreateOrder", "order.ConfirmOrder", "order.CancelOrder"]
    public static let queryTypes = ["order.GetOrder", "order.OrdersByUser", "order.ListOrders", "order.Stats"]

    /// Every order by id.
    public private(set) var orders: [String: Order] = [:]
    private var byUser: [String: [String]] = [:]
    private var counts: [Order.Status: Int64] = [:]
    private var confirmedCents: Int64 = 0

    public init() {}

    // MARK: Commands

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Order.stream(orderID)
        let existing = orders[orderID]
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

    public mutating func apply(_ event: Event) throws(DomainError) {
        let r = Recorded(event.data, "\(event.type) #\(event.seq)")
        let orderID = try r.string("order_id")
        let time = event.metadata.timeMs
        switch event.type {
        case "OrderCreated":
            let order = Order(orderID: orderID, userID: try r.string("user_id"), lines: try r.lines(),
                              status: .created, version: event.version, sagaID: event.metadata.correlationID, at: time)
            put(order)
        case "OrderVoided":
            put(Order(orderID: orderID, userID: "", lines: [], status: .voided, version: event.version,
                      sagaID: event.metadata.correlationID, at: time))
        case "OrderConfirmed", "OrderCancelled":
            guard var order = orders[orderID] else { throw DomainError("\(event.type) for unknown order \(orderID)") }
            order.status = event.type == "OrderConfirmed" ? .confirmed : .cancelled
            order.version = event.version
            order.updatedMs = time
            put(order)
        default:
            throw DomainError("order-service cannot apply event type \(event.type)")
        }
    }

    private mutating func put(_ order: Order) {
        if let old = orders[order.orderID] {
            counts[old.status, default: 0] -= 1
            if old.status == .confirmed { confirmedCents -= old.totalCents }
        } else if !order.userID.isEmpty {
            byUser[order.userID, default: []].append(order.orderID)
        }
        counts[order.status, default: 0] += 1
        if order.status == .confirmed { confirmedCents += order.totalCents }
        orders[order.orderID] = order
    }

    // MARK: Queries

    public func query(_ query: Query, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "order.GetOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            guard let order = orders[orderID] else { throw WireError(.notFound, "no order \(orderID)", field: "body.order_id") }
            return ["order": order.json]
        case "order.OrdersByUser":
            let userID = try body.identifier("user_id", maxBytes: Limits.idBytes)
            let ids = byUser[userID] ?? []
            let limit = Int(try body.optionalInt("limit", in: 1...Limits.maxPage) ?? 100)
            return ["user_id": .string(userID), "count": .int(Int64(ids.count)),
                    "orders": .array(ids.suffix(limit).compactMap { orders[$0]?.json })]
        case "order.ListOrders":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Order.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of created, confirmed, cancelled, voided", field: "body.status")
            }
            let page = try Page(body)
            let wanted = status.flatMap(Order.Status.init(rawValue:))
            let (slice, next) = wanted.map { wanted in page.select(orders.lazy.filter { $0.value.status == wanted }.map { $0.key }) }
                ?? page.select(orders.keys)
            return ["orders": .array(slice.map { orders[$0]!.json }), "next": next.map { .string($0) } ?? .null]
        case "order.Stats":
            var byStatus: [String: JSON] = [:]
            for status in Order.Status.allCases { byStatus[status.rawValue] = .int(counts[status, default: 0]) }
            return ["total": .int(Int64(orders.count)), "by_status": .object(byStatus),
                    "confirmed_total_cents": .int(confirmedCents), "users": .int(Int64(byUser.count))]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    // MARK: Snapshots

    public func snapshot(stream: String) -> JSON? {
        guard stream.hasPrefix("order-") else { return nil }
        return orders[String(stream.dropFirst(6))]?.json
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        put(try Order(json: snapshot))
    }
}
