import SagaWire
import ServiceModel

/// The order aggregate (stream `order-<order_id>`).
public struct Order: Sendable, Equatable {
    /// Where an order is in its life.
    public enum Status: String, Sendable, CaseIterable {
        /// Created by a saga's first step; not yet confirmed.
        case created
        /// The saga completed.
        case confirmed
        /// The saga compensated it.
        case cancelled
        /// Cancelled before it was ever created: a fence that refuses a late `CreateOrder`.
        case voided
    }

    public var orderID: String
    public var userID: String
    public var lines: [OrderLine]
    public var totalCents: Int64
    public var status: Status
    public var version: Int64
    public var sagaID: String?
    public var createdMs: Int64
    public var updatedMs: Int64

    /// The stream that holds an order's events.
    public static func stream(_ orderID: String) -> String { "order-\(orderID)" }

    /// The order as returned by queries and stored in snapshots.
    public var json: JSON {
        var members: [String: JSON] = [
            "order_id": .string(orderID), "user_id": .string(userID), "items": .array(lines.map(\.json)),
            "total_cents": .int(totalCents), "status": .string(status.rawValue), "version": .int(version),
            "created_ms": .int(createdMs), "updated_ms": .int(updatedMs),
        ]
        if let sagaID { members["saga_id"] = .string(sagaID) }
        return .object(members)
    }

    /// The order after `event`, from the order before it (`nil`: none yet). Strict: an event
    /// that cannot happen in that state (a second creation, a confirmation of a cancelled order,
    /// a recorded total that differs from the lines…) is a ``DomainError`` naming the stream,
    /// the version and the rule, never folded in.
    public static func folding(_ order: Order?, _ event: Event) throws(DomainError) -> Order {
        let r = Recorded(event.data, "\(event.stream) v\(event.version) (\(event.type) #\(event.seq))")
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        let orderID = try r.string("order_id")
        guard event.stream == stream(orderID) else { throw refuse("the event names order \(orderID)") }
        let time = event.metadata.timeMs
        switch event.type {
        case "OrderCreated":
            guard order == nil else { throw refuse("the order exists already (\(order!.status.rawValue))") }
            let created = Order(orderID: orderID, userID: try r.string("user_id"), lines: try r.lines(), status: .created,
                                version: event.version, sagaID: event.metadata.correlationID, at: time)
            let recorded = try r.int("total_cents")
            guard recorded == created.totalCents else {
                throw refuse("the recorded total \(recorded) differs from the lines' total \(created.totalCents)")
            }
            return created
        case "OrderVoided":
            guard order == nil else { throw refuse("an existing order (\(order!.status.rawValue)) cannot be voided") }
            return Order(orderID: orderID, userID: "", lines: [], status: .voided, version: event.version,
                         sagaID: event.metadata.correlationID, at: time)
        case "OrderConfirmed", "OrderCancelled":
            guard var order else { throw refuse("the order does not exist") }
            guard order.status == .created else { throw refuse("the order is \(order.status.rawValue), not created") }
            order.status = event.type == "OrderConfirmed" ? .confirmed : .cancelled
            order.version = event.version
            order.updatedMs = time
            return order
        default:
            throw refuse("order-service has no event type \(event.type)")
        }
    }

    init(json: JSON) throws(DomainError) {
        let r = Recorded(json, "order snapshot")
        orderID = try r.string("order_id")
        userID = try r.string("user_id")
        lines = try r.lines()
        totalCents = try r.int("total_cents")
        status = try r.status(as: Status.self)
        version = try r.int("version")
        sagaID = r.optionalString("saga_id")
        createdMs = try r.int("created_ms")
        updatedMs = try r.int("updated_ms")
    }

    init(orderID: String, userID: String, lines: [OrderLine], status: Status, version: Int64, sagaID: String?, at time: Int64) {
        self.orderID = orderID
        self.userID = userID
        self.lines = lines
        self.totalCents = OrderLine.total(lines)
        self.status = status
        self.version = version
        self.sagaID = sagaID
        self.createdMs = time
        self.updatedMs = time
    }
}
