import SagaWire
import ServiceModel

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
    public static let readModel = ReadModelSchema([
        ReadTable("reservations", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]]),
    ])
    /// A reservation that holds stock is in flight; every other status is settled.
    public static let retentionRules = [
        RetentionRule(table: "reservations", settledStatuses: ["committed", "released", "voided", "rejected"], streamPrefix: "reservation-"),
    ]

    /// The starting stock of the original order-saga example.
    public static let defaultStock: [String: Int64] = ["item1": 100, "item2": 50, "item3": 25]

    /// Stock per item id: the working set, always in memory.
    public private(set) var items: [String: StockItem] = [:]
    /// Reservations that hold stock (`reserved`), by order id: in flight, so in the working set.
    public private(set) var active: [String: Reservation] = [:]
    /// Other reservations loaded from their streams, by stream (`nil`: none).
    private var settled: AggregateCache<Reservation>
    private let initialStock: [String: Int64]
    /// Whether a new reservation is checked against the stock (off in ``retirementFold``).
    private var checksStock = true

    /// A core whose items start with `initialStock` units when the log has no stock for them yet.
    public init(initialStock: [String: Int64] = InventoryCore.defaultStock, cacheCapacity: Int = 20_000) {
        self.initialStock = initialStock
        settled = AggregateCache(capacity: cacheCapacity)
    }

    /// No reservations loaded, and no stock: a retired reservation's events fold on their own,
    /// and were checked against the stock when they were first applied.
    public var retirementFold: InventoryCore {
        var fold = InventoryCore(initialStock: initialStock, cacheCapacity: settled.capacity)
        fold.checksStock = false
        return fold
    }

    /// The starting stock, which the log's bootstrap `StockInitialized` events must match.
    public var configuration: JSON {
        ["stock": .object(JSONObject(initialStock.mapValues { .int($0) }))]
    }

    /// A reservation, when loaded (`nil`: none, or not loaded).
    public func reservation(_ orderID: String) -> Reservation? {
        active[orderID] ?? settled[Reservation.stream(orderID)]
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
        let existing = reservation(orderID)
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

    public func streams(for command: Command) throws(WireError) -> [String] {
        let body = try command.fields()
        if command.type == "inventory.AddStock" { return [] }
        return [Reservation.stream(try body.identifier("order_id", maxBytes: Limits.idBytes))]
    }

    public func holds(_ stream: String) -> Bool {
        guard stream.hasPrefix("reservation-") else { return true }
        return active[String(stream.dropFirst(12))] != nil || settled.holds(stream)
    }

    public mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        var reservation: Reservation?
        for event in events { reservation = try Reservation.folding(reservation, event) }
        if let reservation, reservation.status == .reserved {
            active[reservation.orderID] = reservation
        } else {
            settled.put(stream, reservation)
        }
    }

    public mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        switch event.type {
        case "StockInitialized", "StockAdded":
            let r = Recorded(event.data, "\(event.stream) v\(event.version) (\(event.type) #\(event.seq))")
            let itemID = try r.string("item_id")
            var item = items[itemID] ?? StockItem(itemID: itemID, onHand: 0, reserved: 0, committed: 0, version: 0)
            guard (event.type == "StockInitialized") == (item.version == 0) else {
                throw DomainError("\(event.stream) v\(event.version) \(event.type): "
                                  + (item.version == 0 ? "stock added to an item never initialized" : "the item was initialized already"))
            }
            item.onHand += try r.int("quantity")
            item.version = event.version
            items[itemID] = item
            return [.count("stock.\(event.type == "StockInitialized" ? "initialized" : "added").\(itemID)", by: try r.int("quantity"))]
        default:
            guard event.stream.hasPrefix("reservation-") else {
                throw DomainError("\(event.stream) v\(event.version): inventory-service has no event type \(event.type)")
            }
            let orderID = String(event.stream.dropFirst(12))
            let old = reservation(orderID)
            let new = try Reservation.folding(old, event)
            if old == nil && checksStock { try checkStock(new, event) }
            var writes: [ReadWrite] = []
            if old?.status == .reserved {
                adjust(old!.lines, reserved: -1, committed: 0, into: &writes)
                active.removeValue(forKey: orderID)
            }
            switch new.status {
            case .reserved:
                adjust(new.lines, reserved: 1, committed: 0, into: &writes)
                active[orderID] = new
            case .committed:
                adjust(new.lines, reserved: 0, committed: 1, into: &writes)
                settled.put(event.stream, new)
            case .rejected, .released, .voided:
                settled.put(event.stream, new)
            }
            if let old { writes.append(.count("reservations.status.\(old.status.rawValue)", by: -1)) }
            else { writes.append(.count("reservations.total", by: 1)) }
            writes.append(.count("reservations.status.\(new.status.rawValue)", by: 1))
            writes.append(.put(table: "reservations", key: orderID, columns: [
                "status": .text(new.status.rawValue), "updated_ms": .int(new.updatedMs),
            ], document: new.json))
            return writes
        }
    }

    /// A new reservation against the stock as it stands: one that holds stock must find every
    /// unit available, and a rejection must be true (the item unstocked, or short of what was
    /// wanted). Either is what `decide` did; a log that says otherwise was not written by it.
    private func checkStock(_ reservation: Reservation, _ event: Event) throws(DomainError) {
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        switch reservation.status {
        case .reserved:
            for line in reservation.lines {
                let available = items[line.itemID].map { $0.available } ?? 0
                guard items[line.itemID] != nil, available >= line.quantity else {
                    throw refuse("reserves \(line.quantity) of \(line.itemID), but \(available) are available")
                }
            }
        case .rejected:
            let itemID = event.data["item_id"]?.stringValue ?? ""
            let wanted = reservation.lines.first { $0.itemID == itemID }?.quantity
            switch reservation.reason {
            case "insufficient_stock":
                guard let wanted, let item = items[itemID], item.available < wanted else {
                    throw refuse("insufficient stock of \(itemID), but \(items[itemID].map { "\($0.available)" } ?? "none") "
                                 + "were available for \(wanted.map { "\($0)" } ?? "no line")")
                }
            case "unknown_item":
                guard wanted != nil, items[itemID] == nil else { throw refuse("item \(itemID) is stocked, or not in the order") }
            default:
                break
            }
        case .committed, .released, .voided:
            break
        }
    }

    /// Moves the lines' units into or out of reserved and committed stock, with the running
    /// totals of stock movements.
    private mutating func adjust(_ lines: [OrderLine], reserved: Int64, committed: Int64, into writes: inout [ReadWrite]) {
        for line in lines {
            var item = items[line.itemID] ?? StockItem(itemID: line.itemID, onHand: 0, reserved: 0, committed: 0, version: 0)
            item.reserved += reserved * line.quantity
            item.committed += committed * line.quantity
            items[line.itemID] = item
            if committed != 0 { writes.append(.count("stock.committed.\(line.itemID)", by: committed * line.quantity)) }
        }
    }

    public mutating func trim() { settled.trim() }

    // MARK: Queries

    public func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "inventory.Stock":
            return ["items": .array(items.keys.sorted().map { items[$0]!.json })]
        case "inventory.GetReservation":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            let stored = try reader.document("reservations", key: orderID)
            guard let reservation = active[orderID]?.json ?? stored else {
                throw WireError(.notFound, "no reservation for order \(orderID)", field: "body.order_id")
            }
            return ["reservation": reservation]
        case "inventory.ListReservations":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Reservation.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of reserved, rejected, released, committed, voided", field: "body.status")
            }
            let (reservations, next) = try reader.page("reservations", filter: status.map { ["status": .text($0)] } ?? [:], try Page(body))
            return ["reservations": .array(reservations), "next": next.map { .string($0) } ?? .null]
        case "inventory.Stats":
            let counters = try reader.counters(prefix: "reservations.")
            let totals = items.values.reduce(into: (onHand: Int64(0), reserved: Int64(0), committed: Int64(0))) {
                $0.onHand += $1.onHand
                $0.reserved += $1.reserved
                $0.committed += $1.committed
            }
            return ["reservations": .int(counters["reservations.total", default: 0]),
                    "by_status": .object(Dictionary(uniqueKeysWithValues: Reservation.Status.allCases.map {
                        ($0.rawValue, JSON.int(counters["reservations.status.\($0.rawValue)", default: 0])) })),
                    "on_hand": .int(totals.onHand), "reserved": .int(totals.reserved), "committed": .int(totals.committed),
                    "available": .int(totals.onHand - totals.reserved - totals.committed)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    // MARK: Snapshots

    /// The stock of every item, snapshotted whole at every snapshot (reservations move it).
    public static let stockStream = "$stock"
    public static var alwaysSnapshotted: [String] { [stockStream] }

    /// The working set: every item (with what is reserved and committed of it) and every
    /// reservation that holds stock.
    public func snapshot(stream: String) -> JSON? {
        if stream == Self.stockStream {
            return ["items": .array(items.keys.sorted().map { id in
                let item = items[id]!
                return ["item_id": .string(item.itemID), "on_hand": .int(item.onHand), "reserved": .int(item.reserved),
                        "committed": .int(item.committed), "version": .int(item.version)]
            })]
        }
        if stream.hasPrefix("reservation-") { return active[String(stream.dropFirst(12))]?.json }
        return nil
    }

    public mutating func forget(_ stream: String) { settled.remove(stream) }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        if stream == Self.stockStream {
            for json in snapshot["items"]?.arrayValue ?? [] {
                let r = Recorded(json, "stock snapshot")
                let itemID = try r.string("item_id")
                items[itemID] = StockItem(itemID: itemID, onHand: try r.int("on_hand"), reserved: try r.int("reserved"),
                                          committed: try r.int("committed"), version: try r.int("version"))
            }
        } else if stream.hasPrefix("item-") {
            return // an earlier build's per-item snapshot: not used
        } else if stream.hasPrefix("reservation-") {
            let reservation = try Reservation(json: snapshot)
            guard reservation.status == .reserved else { return }
            active[reservation.orderID] = reservation
        } else {
            throw DomainError("inventory-service has no stream \(stream)")
        }
    }
}
