import SagaWire

/// shipping-service's core: shipments created and cancelled.
///
/// Commands: `shipping.CreateShipment`, `shipping.CancelShipment`.
/// Events: `ShipmentCreated`, `ShipmentCancelled`, `ShipmentVoided`.
/// Queries: `shipping.ShipmentsByOrder`, `shipping.ListShipments`, `shipping.Stats`.
public struct ShippingCore: ServiceCore {
    public static let serviceName = "shipping"
    public static let commandTypes = ["shipping.CreateShipment", "shipping.CancelShipment"]
    public static let queryTypes = ["shipping.ShipmentsByOrder", "shipping.ListShipments", "shipping.Stats"]

    /// Shipments by order id.
    public private(set) var shipments: [String: Shipment] = [:]
    private var counts: [Shipment.Status: Int64] = [:]

    public init() {}

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Shipment.stream(orderID)
        let existing = shipments[orderID]
        switch command.type {
        case "shipping.CreateShipment":
            let userID = try body.identifier("user_id", maxBytes: Limits.idBytes)
            if let existing {
                if existing.status == .voided {
                    return .rejected("aborted", "the shipment for order \(orderID) was cancelled before it was created")
                }
                return .rejected("shipment_exists", "order \(orderID) already has a shipment (\(existing.status.rawValue))")
            }
            let shipmentID = "ship-\(orderID)"
            let data: JSON = ["order_id": .string(orderID), "shipment_id": .string(shipmentID), "user_id": .string(userID)]
            return .ok(["order_id": .string(orderID), "shipment_id": .string(shipmentID)],
                       [append(stream, at: 0, command.event("ShipmentCreated", data, at: now))])

        case "shipping.CancelShipment":
            let order: JSON = ["order_id": .string(orderID)]
            guard let existing else {
                return .ok(["order_id": .string(orderID), "status": "voided"],
                           [append(stream, at: 0, command.event("ShipmentVoided", order, at: now))])
            }
            switch existing.status {
            case .created:
                return .ok(["order_id": .string(orderID), "status": "cancelled"],
                           [append(stream, at: existing.version, command.event("ShipmentCancelled", order, at: now))])
            case .cancelled, .voided:
                return .ok(["order_id": .string(orderID), "status": .string(existing.status.rawValue)])
            }

        default:
            throw unknownType(command.type, service: Self.serviceName)
        }
    }

    public mutating func apply(_ event: Event) throws(DomainError) {
        let r = Recorded(event.data, "\(event.type) #\(event.seq)")
        let orderID = try r.string("order_id")
        let time = event.metadata.timeMs
        switch event.type {
        case "ShipmentCreated":
            put(Shipment(orderID: orderID, shipmentID: try r.string("shipment_id"), userID: try r.string("user_id"),
                         status: .created, version: event.version, updatedMs: time))
        case "ShipmentVoided":
            put(Shipment(orderID: orderID, shipmentID: "", userID: "", status: .voided, version: event.version, updatedMs: time))
        case "ShipmentCancelled":
            guard var shipment = shipments[orderID], shipment.status == .created else {
                throw DomainError("ShipmentCancelled for order \(orderID) without a shipment")
            }
            shipment.status = .cancelled
            shipment.version = event.version
            shipment.updatedMs = time
            put(shipment)
        default:
            throw DomainError("shipping-service cannot apply event type \(event.type)")
        }
    }

    private mutating func put(_ shipment: Shipment) {
        if let old = shipments[shipment.orderID] { counts[old.status, default: 0] -= 1 }
        counts[shipment.status, default: 0] += 1
        shipments[shipment.orderID] = shipment
    }

    public func query(_ query: Query, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "shipping.ShipmentsByOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            return ["order_id": .string(orderID), "shipments": .array(shipments[orderID].map { [$0.json] } ?? [])]
        case "shipping.ListShipments":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Shipment.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of created, cancelled, voided", field: "body.status")
            }
            let page = try Page(body)
            let wanted = status.flatMap(Shipment.Status.init(rawValue:))
            let (slice, next) = wanted.map { wanted in page.select(shipments.lazy.filter { $0.value.status == wanted }.map { $0.key }) }
                ?? page.select(shipments.keys)
            return ["shipments": .array(slice.map { shipments[$0]!.json }), "next": next.map { .string($0) } ?? .null]
        case "shipping.Stats":
            var byStatus: [String: JSON] = [:]
            for status in Shipment.Status.allCases { byStatus[status.rawValue] = .int(counts[status, default: 0]) }
            return ["shipments": .int(Int64(shipments.count)), "by_status": .object(byStatus)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    public func snapshot(stream: String) -> JSON? {
        guard stream.hasPrefix("shipment-") else { return nil }
        return shipments[String(stream.dropFirst(9))]?.json
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        put(try Shipment(json: snapshot))
    }
}
