import SagaWire
import ServiceModel

/// The shipment of one order (stream `shipment-<order_id>`).
public struct Shipment: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Created: the goods will ship.
        case created
        /// Cancelled by compensation.
        case cancelled
        /// Cancelled before it was ever created: a fence that refuses a late shipment.
        case voided
    }

    public var orderID: String
    public var shipmentID: String
    public var userID: String
    public var status: Status
    public var version: Int64
    public var updatedMs: Int64

    /// The stream that holds an order's shipment events.
    public static func stream(_ orderID: String) -> String { "shipment-\(orderID)" }

    public var json: JSON {
        ["order_id": .string(orderID), "shipment_id": .string(shipmentID), "user_id": .string(userID),
         "status": .string(status.rawValue), "version": .int(version), "updated_ms": .int(updatedMs)]
    }

    init(orderID: String, shipmentID: String, userID: String, status: Status, version: Int64, updatedMs: Int64) {
        self.orderID = orderID
        self.shipmentID = shipmentID
        self.userID = userID
        self.status = status
        self.version = version
        self.updatedMs = updatedMs
    }

    /// The shipment after `event`, from the one before it (`nil`: none yet). Strict: a second
    /// shipment for an order, a cancellation of none, … are a ``DomainError`` naming the
    /// stream, the version and the rule.
    public static func folding(_ shipment: Shipment?, _ event: Event) throws(DomainError) -> Shipment {
        let r = Recorded(event.data, "\(event.stream) v\(event.version) (\(event.type) #\(event.seq))")
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        let orderID = try r.string("order_id")
        guard event.stream == stream(orderID) else { throw refuse("the event names order \(orderID)") }
        let time = event.metadata.timeMs
        switch event.type {
        case "ShipmentCreated":
            if let shipment { throw refuse("the order has a shipment already (\(shipment.status.rawValue))") }
            return Shipment(orderID: orderID, shipmentID: try r.string("shipment_id"), userID: try r.string("user_id"),
                            status: .created, version: event.version, updatedMs: time)
        case "ShipmentVoided":
            if let shipment { throw refuse("the order has a shipment already (\(shipment.status.rawValue))") }
            return Shipment(orderID: orderID, shipmentID: "", userID: "", status: .voided, version: event.version, updatedMs: time)
        case "ShipmentCancelled":
            guard var shipment else { throw refuse("the order has no shipment") }
            guard shipment.status == .created else { throw refuse("the shipment is \(shipment.status.rawValue), not created") }
            shipment.status = .cancelled
            shipment.version = event.version
            shipment.updatedMs = time
            return shipment
        default:
            throw refuse("shipping-service has no event type \(event.type)")
        }
    }

    init(json: JSON) throws(DomainError) {
        let r = Recorded(json, "shipment snapshot")
        orderID = try r.string("order_id")
        shipmentID = try r.string("shipment_id")
        userID = try r.string("user_id")
        status = try r.status(as: Status.self)
        version = try r.int("version")
        updatedMs = try r.int("updated_ms")
    }
}
