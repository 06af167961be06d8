import SagaWire
import ServiceModel

/// One order as the whole cluster sees it: its saga and its state at every service.
public struct OrderView: Sendable, Equatable {
    /// The read-side table of the views, one row per order.
    public static let table = ReadTable("orders", columns: ["user_id", "saga_id", "saga_status", "saga_started_ms", "created_ms", "saga_ended_ms"],
                                        indexes: [["user_id", "created_ms"], ["saga_started_ms"], ["saga_status", "saga_started_ms"], ["saga_ended_ms"]])

    public var orderID: String
    public var userID: String = ""
    public var sagaID: String?
    public var sagaStatus: SagaStatus?
    public var failure: String?
    public var orderStatus: String?
    public var totalCents: Int64 = 0
    public var reservationStatus: String?
    public var paymentStatus: String?
    public var amountCents: Int64 = 0
    public var shipmentStatus: String?
    public var createdMs: Int64 = 0
    public var updatedMs: Int64 = 0
    public var sagaStartedMs: Int64?
    public var sagaEndedMs: Int64?

    public init(orderID: String) { self.orderID = orderID }

    public var json: JSON {
        var out: JSONObject = ["order_id": .string(orderID), "user_id": .string(userID), "total_cents": .int(totalCents),
                               "amount_cents": .int(amountCents), "created_ms": .int(createdMs), "updated_ms": .int(updatedMs)]
        func put(_ key: String, _ value: String?) { if let value { out[key] = .string(value) } }
        put("saga_id", sagaID)
        put("saga_status", sagaStatus?.rawValue)
        put("failure", failure)
        put("order_status", orderStatus)
        put("reservation_status", reservationStatus)
        put("payment_status", paymentStatus)
        put("shipment_status", shipmentStatus)
        if let sagaStartedMs { out["saga_started_ms"] = .int(sagaStartedMs) }
        if let sagaEndedMs { out["saga_ended_ms"] = .int(sagaEndedMs) }
        return .object(out)
    }

    public init(json: JSON) {
        orderID = json["order_id"]?.stringValue ?? ""
        userID = json["user_id"]?.stringValue ?? ""
        sagaID = json["saga_id"]?.stringValue
        sagaStatus = json["saga_status"]?.stringValue.flatMap(SagaStatus.init(rawValue:))
        failure = json["failure"]?.stringValue
        orderStatus = json["order_status"]?.stringValue
        totalCents = json["total_cents"]?.intValue ?? 0
        reservationStatus = json["reservation_status"]?.stringValue
        paymentStatus = json["payment_status"]?.stringValue
        amountCents = json["amount_cents"]?.intValue ?? 0
        shipmentStatus = json["shipment_status"]?.stringValue
        createdMs = json["created_ms"]?.intValue ?? 0
        updatedMs = json["updated_ms"]?.intValue ?? 0
        sagaStartedMs = json["saga_started_ms"]?.intValue
        sagaEndedMs = json["saga_ended_ms"]?.intValue
    }
}

/// An item's stock as the monitor tracks it from inventory events.
public struct StockLevel: Sendable, Equatable {
    public var onHand: Int64 = 0
    public var reserved: Int64 = 0
    public var committed: Int64 = 0
    public var available: Int64 { onHand - reserved - committed }
}
