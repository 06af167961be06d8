import SagaWire
import ServiceModel

/// shipping-service's core: shipments created and cancelled.
///
/// Commands: `shipping.CreateShipment`, `shipping.CancelShipment`.
/// Events: `ShipmentCreated`, `ShipmentCancelled`, `ShipmentVoided`.
/// Queries: `shipping.ShipmentsByOrder`, `shipping.ListShipments`, `shipping.Stats`.
public struct ShippingCore: ServiceCore {
    public static let serviceName = "shipping"
    public static let commandTypes = ["shipping.CreateShipment", "shipping.CancelShipment"]
    public static let queryTypes = ["shipping.ShipmentsByOrder", "shipping.ListShipments", "shipping.Stats"]
    public static let readModel = ReadModelSchema([
        ReadTable("shipments", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]]),
    ])
    /// A shipment's every status is settled as far as retention goes.
    public static let retentionRules = [
        RetentionRule(table: "shipments", settledStatuses: ["created", "cancelled", "voided"], streamPrefix: "shipment-"),
    ]

    /// Shipments loaded from their streams, by stream (`nil`: none).
    private var shipments: AggregateCache<Shipment>

    public init(cacheCapacity: Int = 20_000) {
        shipments = AggregateCache(capacity: cacheCapacity)
    }

    /// No shipments loaded: a shipment's events fold on their own.
    public var retirementFold: ShippingCore { ShippingCore(cacheCapacity: shipments.capacity) }

    public func streams(for command: Command) throws(WireError) -> [String] {
        [Shipment.stream(try command.fields().identifier("order_id", maxBytes: Limits.idBytes))]
    }

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Shipment.stream(orderID)
        let existing = shipments[stream]
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

    public func holds(_ stream: String) -> Bool { shipments.holds(stream) }

    public mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        var shipment: Shipment?
        for event in events { shipment = try Shipment.folding(shipment, event) }
        shipments.put(stream, shipment)
    }

    public mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let old = shipments[event.stream]
        let shipment = try Shipment.folding(old, event)
        shipments.put(event.stream, shipment)
        var writes: [ReadWrite] = [.put(table: "shipments", key: shipment.orderID, columns: [
            "status": .text(shipment.status.rawValue), "updated_ms": .int(shipment.updatedMs),
        ], document: shipment.json)]
        if let old { writes.append(.count("shipments.status.\(old.status.rawValue)", by: -1)) }
        else { writes.append(.count("shipments.total", by: 1)) }
        writes.append(.count("shipments.status.\(shipment.status.rawValue)", by: 1))
        return writes
    }

    public mutating func trim() { shipments.trim() }

    public mutating func forget(_ stream: String) { shipments.remove(stream) }

    public func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "shipping.ShipmentsByOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            return ["order_id": .string(orderID), "shipments": .array(try reader.document("shipments", key: orderID).map { [$0] } ?? [])]
        case "shipping.ListShipments":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Shipment.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of created, cancelled, voided", field: "body.status")
            }
            let (shipments, next) = try reader.page("shipments", filter: status.map { ["status": .text($0)] } ?? [:], try Page(body))
            return ["shipments": .array(shipments), "next": next.map { .string($0) } ?? .null]
        case "shipping.Stats":
            let counters = try reader.counters(prefix: "shipments.")
            var byStatus: [String: JSON] = [:]
            for status in Shipment.Status.allCases { byStatus[status.rawValue] = .int(counters["shipments.status.\(status.rawValue)", default: 0]) }
            return ["shipments": .int(counters["shipments.total", default: 0]), "by_status": .object(byStatus)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    /// Shipments are loaded on demand: nothing of them is part of the working set.
    public func snapshot(stream: String) -> JSON? { nil }

    /// Snapshots of earlier versions (one per shipment) are not needed: ignored.
    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {}
}
