import SagaWire
import ServiceModel

/// Stock of one item (stream `item-<item_id>`).
///
/// `onHand` changes only through the item's own events; `reserved` and `committed` are the sums
/// over reservations, so `available = onHand - reserved - committed` can never go negative.
public struct StockItem: Sendable, Equatable {
    public var itemID: String
    /// Units ever put into stock (initial stock plus additions).
    public var onHand: Int64
    /// Units held by active reservations.
    public var reserved: Int64
    /// Units taken by committed reservations (sold).
    public var committed: Int64
    /// The item stream's version.
    public var version: Int64

    /// Units that can still be reserved.
    public var available: Int64 { onHand - reserved - committed }

    /// The stream that holds an item's events.
    public static func stream(_ itemID: String) -> String { "item-\(itemID)" }

    public var json: JSON {
        ["item_id": .string(itemID), "on_hand": .int(onHand), "reserved": .int(reserved),
         "committed": .int(committed), "available": .int(available), "version": .int(version)]
    }
}

/// A reservation of stock for one order (stream `reservation-<order_id>`).
public struct Reservation: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Stock is held for the order.
        case reserved
        /// Refused (insufficient stock, unknown item); nothing is held.
        case rejected
        /// Given back by compensation.
        case released
        /// Taken for good: the saga completed.
        case committed
        /// Released before it was ever made: a fence that refuses a late reservation.
        case voided
    }

    public var orderID: String
    public var lines: [OrderLine]
    public var status: Status
    public var reason: String?
    public var version: Int64
    public var updatedMs: Int64

    /// The stream that holds a reservation's events.
    public static func stream(_ orderID: String) -> String { "reservation-\(orderID)" }

    public var json: JSON {
        var members: [String: JSON] = [
            "order_id": .string(orderID), "items": .array(lines.map(\.json)), "status": .string(status.rawValue),
            "version": .int(version), "updated_ms": .int(updatedMs),
        ]
        if let reason { members["reason"] = .string(reason) }
        return .object(members)
    }

    init(orderID: String, lines: [OrderLine], status: Status, reason: String?, version: Int64, updatedMs: Int64) {
        self.orderID = orderID
        self.lines = lines
        self.status = status
        self.reason = reason
        self.version = version
        self.updatedMs = updatedMs
    }

    /// The reservation after `event`, from the one before it (`nil`: none yet). Strict: a
    /// second reservation for an order, a release or commit of a reservation that holds
    /// nothing, … are a ``DomainError`` naming the stream, the version and the rule.
    public static func folding(_ reservation: Reservation?, _ event: Event) throws(DomainError) -> Reservation {
        let r = Recorded(event.data, "\(event.stream) v\(event.version) (\(event.type) #\(event.seq))")
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        let orderID = try r.string("order_id")
        guard event.stream == stream(orderID) else { throw refuse("the event names order \(orderID)") }
        let time = event.metadata.timeMs
        switch event.type {
        case "InventoryReserved", "InventoryReservationRejected", "ReservationVoided":
            if let reservation { throw refuse("the order has a reservation already (\(reservation.status.rawValue))") }
            switch event.type {
            case "InventoryReserved":
                return Reservation(orderID: orderID, lines: try r.lines(), status: .reserved, reason: nil, version: event.version,
                                   updatedMs: time)
            case "InventoryReservationRejected":
                return Reservation(orderID: orderID, lines: try r.lines(), status: .rejected, reason: r.optionalString("reason"),
                                   version: event.version, updatedMs: time)
            default:
                return Reservation(orderID: orderID, lines: [], status: .voided, reason: nil, version: event.version, updatedMs: time)
            }
        case "ReservationReleased", "ReservationCommitted":
            guard var reservation else { throw refuse("the order has no reservation") }
            guard reservation.status == .reserved else { throw refuse("the reservation is \(reservation.status.rawValue), not reserved") }
            reservation.status = event.type == "ReservationCommitted" ? .committed : .released
            reservation.version = event.version
            reservation.updatedMs = time
            return reservation
        default:
            throw refuse("inventory-service has no event type \(event.type)")
        }
    }

    init(json: JSON) throws(DomainError) {
        let r = Recorded(json, "reservation snapshot")
        orderID = try r.string("order_id")
        lines = try r.lines()
        status = try r.status(as: Status.self)
        reason = r.optionalString("reason")
        version = try r.int("version")
        updatedMs = try r.int("updated_ms")
    }
}
