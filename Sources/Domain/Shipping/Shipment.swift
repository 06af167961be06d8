import SagaWire

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
