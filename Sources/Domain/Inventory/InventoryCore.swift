import SagaWire

/// inventory-service's core: stock per item and reservations per order.
///
/// Commands: `inventory.ReserveInventory`, `inventory.ReleaseReservation`,
/// `inventory.CommitReservation`, `inventory.AddStock`.
/// Events: `StockInitialized`, `StockAdded` (item streams); `InventoryReserved`,
/// `InventoryReservationRejected`, `ReservationReleased`, `ReservationCommitted`,
/// `ReservationVoided` (reservation streams).
/// Queries: `inventory.Stock`, `inventory.GetReservation`, `inventory.ListReservations`, `inventory.Stats`.
public struct InventoryCore: ServiceCore {
    public static let serviceName = "inventory"
    public static let commandTypes = ["inventory.ReserveInventory", "inventory.ReleaseReservation",
                                      "inventory.CommitReservation", "inventory.AddStock"]
    public static let queryTypes = ["inventory.Stock", "inventory.GetReservation", "inventory.ListReservations",
                                    "inventory.Stats"]

    /// The starting stock of the original order-saga example.
    public static let defaultStock: [String: Int64] = ["item1": 100, "item2": 50, "item3": 25]

    /// Stock per item id.
    public private(set) var items: [String: StockItem] = [:]
    /// Reservations per order id.
    public private(set) var reservations: [String: Reservation] = [:]
    private let initialStock: [String: Int64]

    /// A core whose items start with `initialStock` units when the log has no stock for them yet.
    public init(initialStock: [String: Int64] = InventoryCore.defaultStock) {
        self.initialStock = initialStock
    }

    public func bootstrap(now: Int64) -> [StreamAppend] {
        initialStock.keys.sorted().compactMap { itemID in
            guard items[itemID] == nil || items[itemID]!.version == 0 else { return nil }
            return append(StockItem.stream(itemID), at: 0, NewEvent(
                type: "StockInitialized", data: ["item_id": .string(itemID), "quantity": .int(initialStock[itemID]!)],
                timeMs: now))
        }
    }

    // MARK: Commands

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        if command.type == "inventory.AddStock" {
            let itemID = try body.identifier("item_id", maxBytes: 64)
            let quantity = try body.int("quantity", in: 1...Limits.stock.upperBound)
            let item = items[itemID]
            guard (item?.onHand ?? 0) + quantity <= Limits.stock.upperBound else {
                throw WireError(.invalidArgument, "stock of \(itemID) would exceed \(Limits.stock.upperBound)", field: "body.quantity")
            }
            let data: JSON = ["item_id": .string(itemID), "quantity": .int(quantity)]
            return .ok(["item_id": .string(itemID), "on_hand": .int((item?.onHand ?? 0) + quantity)],
                       [append(StockItem.stream(itemID), at: item?.version ?? 0,
                               command.event(item == nil ? "StockInitialized" : "StockAdded", data, at: now))])
        }
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Reservation.stream(orderID)
        let existing = reservations[orderID]
        let order: JSON = ["order_id": .string(orderID)]
        switch command.type {
        case "inventory.ReserveInventory":
            let lines = try OrderLine.parse(body, requirePrice: false).map { OrderLine(itemID: $0.itemID, quantity: $0.quantity) }
            if let existing {
                if existing.status == .voided {
                    return .rejected("aborted", "the reservation for order \(orderID) was released before it was made")
                }
                return .rejected("reservation_exists", "order \(orderID) already has a reservation (\(existing.status.rawValue))")
            }
            for line in lines {
                let reject: (String, String)?
                if let item = items[line.itemID] {
                    reject = item.available < line.quantity
                        ? ("insufficient_stock", "item \(line.itemID): \(line.quantity) wanted, \(item.available) available") : nil
                } else {
                    reject = ("unknown_item", "item \(line.itemID) is not stocked")
                }
                if let (reason, message) = reject {
                    let data: JSON = ["order_id": .string(orderID), "items": .array(lines.map(\.json)),
                                      "reason": .string(reason), "item_id": .string(line.itemID), "message": .string(message)]
                    return .rejected(reason, message, body: order,
                                     [append(stream, at: 0, command.event("InventoryReservationRejected", data, at: now))])
                }
            }
            return .ok(["order_id": .string(orderID), "status": "reserved"],
                       [append(stream, at: 0, command.event("InventoryReserved",
                                                            ["order_id": .string(orderID), "items": .array(lines.map(\.json))], at: now))])

        case "inventory.ReleaseReservation":
            guard let existing else {
                return .ok(["order_id": .string(orderID), "status": "voided"],
                           [append(stream, at: 0, command.event("ReservationVoided", order, at: now))])
            }
            switch existing.status {
            case .reserved:
                return .ok(["order_id": .string(orderID), "status": "released"],
                           [append(stream, at: existing.version, command.event("ReservationReleased", order, at: now))])
            case .rejected, .released, .voided:
                return .ok(["order_id": .string(orderID), "status": .string(existing.status.rawValue)])
            case .committed:
                return .rejected("already_committed", "the reservation for order \(orderID) is committed")
            }

        case "inventory.CommitReservation":
            guard let existing else { return .rejected("not_reserved", "order \(orderID) has no reservation") }
            switch existing.status {
            case .reserved:
                return .ok(["order_id": .string(orderID), "status": "committed"],
                           [append(stream, at: existing.version, command.event("ReservationCommitted", order, at: now))])
            case .committed:
                return .ok(["order_id": .string(orderID), "status": "committed"])
            case .rejected, .released, .voided:
                return .rejected("not_reserved", "the reservation for order \(orderID) is \(existing.status.rawValue)")
            }

        default:
            throw unknownType(command.type, service: Self.serviceName)
        }
    }

    // MARK: Events

    public mutating func apply(_ event: Event) throws(DomainError) {
        let r = Recorded(event.data, "\(event.type) #\(event.seq)")
        let time = event.metadata.timeMs
        switch event.type {
        case "StockInitialized", "StockAdded":
            let itemID = try r.string("item_id")
            var item = items[itemID] ?? StockItem(itemID: itemID, onHand: 0, reserved: 0, committed: 0, version: 0)
            item.onHand += try r.int("quantity")
            item.version = event.version
            items[itemID] = item
        case "InventoryReserved":
            let orderID = try r.string("order_id")
            let lines = try r.lines()
            reservations[orderID] = Reservation(orderID: orderID, lines: lines, status: .reserved, reason: nil,
                                                version: event.version, updatedMs: time)
            adjust(lines, reserved: 1, committed: 0)
        case "InventoryReservationRejected":
            let orderID = try r.string("order_id")
            reservations[orderID] = Reservation(orderID: orderID, lines: try r.lines(), status: .rejected,
                                                reason: r.optionalString("reason"), version: event.version, updatedMs: time)
        case "ReservationVoided":
            let orderID = try r.string("order_id")
            reservations[orderID] = Reservation(orderID: orderID, lines: [], status: .voided, reason: nil,
                                                version: event.version, updatedMs: time)
        case "ReservationReleased", "ReservationCommitted":
            let orderID = try r.string("order_id")
            guard var reservation = reservations[orderID], reservation.status == .reserved else {
                throw DomainError("\(event.type) for order \(orderID) without an active reservation")
            }
            let committing = event.type == "ReservationCommitted"
            adjust(reservation.lines, reserved: -1, committed: committing ? 1 : 0)
            reservation.status = committing ? .committed : .released
            reservation.version = event.version
            reservation.updatedMs = time
            reservations[orderID] = reservation
        default:
            throw DomainError("inventory-service cannot apply event type \(event.type)")
        }
    }

    private mutating func adjust(_ lines: [OrderLine], reserved: Int64, committed: Int64) {
        for line in lines {
            var item = items[line.itemID] ?? StockItem(itemID: line.itemID, onHand: 0, reserved: 0, committed: 0, version: 0)
            item.reserved += reserved * line.quantity
            item.committed += committed * line.quantity
            items[line.itemID] = item
        }
    }

    // MARK: Queries

    public func query(_ query: Query, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "inventory.Stock":
            return ["items": .array(items.keys.sorted().map { items[$0]!.json })]
        case "inventory.GetReservation":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            guard let reservation = reservations[orderID] else {
                throw WireError(.notFound, "no reservation for order \(orderID)", field: "body.order_id")
            }
            return ["reservation": reservation.json]
        case "inventory.ListReservations":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Reservation.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of reserved, rejected, released, committed, voided", field: "body.status")
            }
            let page = try Page(body)
            let wanted = status.flatMap(Reservation.Status.init(rawValue:))
            let (slice, next) = wanted.map { wanted in page.select(reservations.lazy.filter { $0.value.status == wanted }.map { $0.key }) }
                ?? page.select(reservations.keys)
            return ["reservations": .array(slice.map { reservations[$0]!.json }), "next": next.map { .string($0) } ?? .null]
        case "inventory.Stats":
            var byStatus: [String: Int64] = [:]
            for reservation in reservations.values { byStatus[reservation.status.rawValue, default: 0] += 1 }
            let totals = items.values.reduce(into: (onHand: Int64(0), reserved: Int64(0), committed: Int64(0))) {
                $0.onHand += $1.onHand
                $0.reserved += $1.reserved
                $0.committed += $1.committed
            }
            return ["reservations": .int(Int64(reservations.count)),
                    "by_status": .object(Dictionary(uniqueKeysWithValues: Reservation.Status.allCases.map {
                        ($0.rawValue, JSON.int(byStatus[$0.rawValue, default: 0])) })),
                    "on_hand": .int(totals.onHand), "reserved": .int(totals.reserved), "committed": .int(totals.committed),
                    "available": .int(totals.onHand - totals.reserved - totals.committed)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    // MARK: Snapshots

    public func snapshot(stream: String) -> JSON? {
        if stream.hasPrefix("item-"), let item = items[String(stream.dropFirst(5))] {
            // Only what the item's own events change; reserved and committed come from reservations.
            return ["item_id": .string(item.itemID), "on_hand": .int(item.onHand), "version": .int(item.version)]
        }
        if stream.hasPrefix("reservation-") { return reservations[String(stream.dropFirst(12))]?.json }
        return nil
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        if stream.hasPrefix("item-") {
            let r = Recorded(snapshot, "item snapshot")
            let itemID = try r.string("item_id")
            var item = items[itemID] ?? StockItem(itemID: itemID, onHand: 0, reserved: 0, committed: 0, version: 0)
            item.onHand = try r.int("on_hand")
            item.version = try r.int("version")
            items[itemID] = item
        } else if stream.hasPrefix("reservation-") {
            let reservation = try Reservation(json: snapshot)
            reservations[reservation.orderID] = reservation
            switch reservation.status {
            case .reserved: adjust(reservation.lines, reserved: 1, committed: 0)
            case .committed: adjust(reservation.lines, reserved: 0, committed: 1)
            case .rejected, .released, .voided: break
            }
        } else {
            throw DomainError("inventory-service has no stream \(stream)")
        }
    }
}
