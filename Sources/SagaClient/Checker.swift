import Foundation
import SagaWire

/// One broken invariant.
public struct Violation: Sendable, Equatable {
    /// The saga concerned, when there is one.
    public var sagaID: String?
    /// Which check failed, e.g. `terminal`, `stock_conserved`.
    public var check: String
    /// What was found.
    public var detail: String

    public var json: JSON {
        ["saga_id": sagaID.map { .string($0) } ?? .null, "check": .string(check), "detail": .string(detail)]
    }
}

/// What `sagactl check` found.
public struct CheckReport: Sendable {
    public var sagas = 0
    public var byStatus: [String: Int] = [:]
    public var violations: [Violation] = []
    /// Figures gathered from the services, for the report.
    public var figures: [String: JSON] = [:]

    public var isClean: Bool { violations.isEmpty }

    public var json: JSON {
        ["sagas": .int(Int64(sagas)), "completed": .int(Int64(byStatus["completed", default: 0])),
         "compensated": .int(Int64(byStatus["compensated", default: 0])), "stuck": .int(Int64(byStatus["stuck", default: 0])),
         "running": .int(Int64(byStatus["running", default: 0] + byStatus["compensating", default: 0])),
         "violations": .array(violations.map(\.json)), "figures": .object(figures)]
    }
}

/// Checks the order-saga invariants against a running cluster, reading every effect at its
/// owner through the services' own query APIs and logs, never trusting the orchestrator's view
/// of what happened:
///
/// - every saga is terminal;
/// - a completed saga has its order confirmed, its stock taken once (reservation committed),
///   one charge and one live shipment; a compensated saga has its order cancelled (or never
///   created), no stock held or taken, no net payment and no live shipment;
/// - stock is conserved: for every item, on hand = available + reserved + committed, nothing is
///   left reserved, and committed stock equals what committed reservations took;
/// - charges minus refunds equal the totals of confirmed orders, and each charge equals its
///   order's total;
/// - no command took effect twice (its events are one contiguous run in its service's log);
/// - every log's sequence numbers are 1, 2, 3, … without gaps.
public struct Checker {
    private let client: ClusterClient
    private let endpoints: ClusterEndpoints
    /// Violations beyond this many are counted but not listed.
    public var maxListed = 1000

    public init(client: ClusterClient, endpoints: ClusterEndpoints) {
        self.client = client
        self.endpoints = endpoints
    }

    public func run() throws -> CheckReport {
        var report = CheckReport()
        var found: [Violation] = []
        func violation(_ sagaID: String?, _ check: String, _ detail: String) {
            found.append(Violation(sagaID: sagaID, check: check, detail: detail))
        }
        // Retention: what each process removed (its HistoryRetired totals), and the horizon after
        // which every process still holds all of a saga (per-saga checks look at those only).
        var windowMs: Int64 = 0
        var retiredTotals: [String: [String: Int64]] = [:]
        for name in ["saga", "order", "inventory", "payment", "shipping"] {
            guard let endpoint = endpoints.routers[name] else { continue }
            let retention = try client.query(endpoint, "sys.Ping")["retention"] ?? [:]
            windowMs = max(windowMs, retention["window_ms"]?.intValue ?? 0)
            retiredTotals[name] = (retention["retired"]?["totals"]?.objectValue?.dictionary ?? [:]).compactMapValues(\.intValue)
        }
        let horizon = windowMs > 0 ? Int64(Date().timeIntervalSince1970 * 1000) - windowMs + 5_000 : Int64.min
        func retired(_ service: String, _ counter: String) -> Int64 { retiredTotals[service]?[counter] ?? 0 }
        let sagas = try client.all(endpoints.orchestrator, "saga.ListSagas", key: "sagas")
        let orders = try keyed(client.all(endpoints.routers["order"]!, "order.ListOrders", key: "orders"))
        let reservations = try keyed(client.all(endpoints.routers["inventory"]!, "inventory.ListReservations", key: "reservations"))
        let payments = try keyed(client.all(endpoints.routers["payment"]!, "payment.ListPayments", key: "payments"))
        let shipments = try keyed(client.all(endpoints.routers["shipping"]!, "shipping.ListShipments", key: "shipments"))
        let stock = try client.query(endpoints.routers["inventory"]!, "inventory.Stock")["items"]?.arrayValue ?? []
        let totals = try client.query(endpoints.routers["payment"]!, "payment.Totals")

        var orderBySaga: [String: JSON] = [:]
        for order in orders.values {
            if let saga = order["saga_id"]?.stringValue { orderBySaga[saga] = order }
        }
        report.sagas = sagas.count
        for saga in sagas {
            guard let id = saga["saga_id"]?.stringValue, let status = saga["status"]?.stringValue else { continue }
            report.byStatus[status, default: 0] += 1
            // A saga near the retention horizon may have been retired by one process and not yet
            // by another: only sagas every process still holds whole are checked one by one.
            guard saga["type"]?.stringValue == "order", (saga["updated_ms"]?.intValue ?? .max) >= horizon else { continue }
            let order = orderBySaga[id]
            let orderID = order?["order_id"]?.stringValue ?? id
            let orderStatus = order?["status"]?.stringValue
            let reservation = reservations[orderID]?["status"]?.stringValue
            let payment = payments[orderID]?["status"]?.stringValue
            let shipment = shipments[orderID]?["status"]?.stringValue
            switch status {
            case "completed":
                if orderStatus != "confirmed" { violation(id, "completed_order", "order \(orderID) is \(orderStatus ?? "missing"), not confirmed") }
                if reservation != "committed" { violation(id, "completed_stock", "reservation is \(reservation ?? "missing"), not committed") }
                if payment != "charged" { violation(id, "completed_payment", "payment is \(payment ?? "missing"), not charged") }
                if shipment != "created" { violation(id, "completed_shipment", "shipment is \(shipment ?? "missing"), not created") }
                if let amount = payments[orderID]?["amount_cents"]?.intValue, let total = order?["total_cents"]?.intValue, amount != total {
                    violation(id, "charge_amount", "charged \(amount) cents for an order of \(total)")
                }
            case "compensated":
                if let orderStatus, orderStatus != "cancelled" && orderStatus != "voided" {
                    violation(id, "compensated_order", "order \(orderID) is \(orderStatus)")
                }
                if reservation == "reserved" || reservation == "committed" {
                    violation(id, "compensated_stock", "reservation is still \(reservation!)")
                }
                if payment == "charged" { violation(id, "compensated_payment", "payment is still charged") }
                if shipment == "created" { violation(id, "compensated_shipment", "shipment is still live") }
            default:
                violation(id, "terminal", "saga is \(status)\(saga["stuck_reason"]?.stringValue.map { ": \($0)" } ?? "")")
            }
        }
        let completedSagas = Set(sagas.filter { $0["status"]?.stringValue == "completed" }.compactMap { $0["saga_id"]?.stringValue })
        for order in orders.values where order["status"]?.stringValue == "confirmed" && (order["updated_ms"]?.intValue ?? .max) >= horizon {
            let saga = order["saga_id"]?.stringValue ?? ""
            if !completedSagas.contains(saga) {
                violation(saga, "confirmed_without_saga", "order \(order["order_id"]?.stringValue ?? "?") is confirmed but its saga did not complete")
            }
        }

        // Stock: conserved per item, nothing left reserved, committed equals what reservations took.
        var takenByItem: [String: Int64] = [:]
        var heldByItem: [String: Int64] = [:]
        for reservation in reservations.values {
            let status = reservation["status"]?.stringValue
            for line in reservation["items"]?.arrayValue ?? [] {
                guard let item = line["item_id"]?.stringValue, let quantity = line["quantity"]?.intValue else { continue }
                if status == "committed" { takenByItem[item, default: 0] += quantity }
                if status == "reserved" { heldByItem[item, default: 0] += quantity }
            }
        }
        var onHandTotal: Int64 = 0, committedTotal: Int64 = 0
        for item in stock {
            let id = item["item_id"]?.stringValue ?? "?"
            let onHand = item["on_hand"]?.intValue ?? 0, available = item["available"]?.intValue ?? 0
            let reserved = item["reserved"]?.intValue ?? 0, committed = item["committed"]?.intValue ?? 0
            onHandTotal += onHand
            committedTotal += committed
            if onHand != available + reserved + committed || available < 0 {
                violation(nil, "stock_conserved", "item \(id): on hand \(onHand) ≠ available \(available) + reserved \(reserved) + committed \(committed)")
            }
            if reserved != heldByItem[id, default: 0] {
                violation(nil, "stock_reserved", "item \(id): \(reserved) reserved, but active reservations hold \(heldByItem[id, default: 0])")
            }
            let retiredTaken = retired("inventory", "stock.committed.\(id)")
            if committed != takenByItem[id, default: 0] + retiredTaken {
                violation(nil, "stock_committed", "item \(id): \(committed) committed, but committed reservations took "
                          + "\(takenByItem[id, default: 0]) (and \(retiredTaken) in retired history)")
            }
        }

        // Money: charges minus refunds equal the totals of confirmed orders, counting the retired
        // history through its running totals.
        let confirmedTotal = orders.values.filter { $0["status"]?.stringValue == "confirmed" }
            .reduce(Int64(0)) { $0 + ($1["total_cents"]?.intValue ?? 0) } + retired("order", "orders.confirmed_cents")
        let net = totals["net_cents"]?.intValue ?? -1
        let netFromPayments = payments.values.filter { $0["status"]?.stringValue == "charged" }
            .reduce(Int64(0)) { $0 + ($1["amount_cents"]?.intValue ?? 0) }
            + retired("payment", "payments.charged_cents") - retired("payment", "payments.refunded_cents")
        if net != confirmedTotal || netFromPayments != confirmedTotal {
            violation(nil, "money", "charges minus refunds are \(net) cents (\(netFromPayments) by payment), confirmed orders total \(confirmedTotal)")
        }

        // Logs: gap-free, and every command's events in one contiguous run (applied once).
        var logFigures: [String: JSON] = [:]
        for name in ["saga", "order", "inventory", "payment", "shipping"] {
            guard let endpoint = endpoints.routers[name] else { continue }
            let scan = try scanLog(endpoint)
            logFigures[name] = ["events": .int(scan.events), "head": .int(scan.head)]
            for gap in scan.gaps { violation(nil, "log_gap_free", "\(name) log: \(gap)") }
            guard name != "saga" else { continue }
            for command in scan.repeatedCommands {
                violation(Self.sagaPrefix(command), "applied_once", "\(name): command \(command) took effect in more than one commit")
            }
        }
        report.figures = [
            "orders": .int(Int64(orders.count)), "confirmed_total_cents": .int(confirmedTotal), "net_payment_cents": .int(net),
            "on_hand": .int(onHandTotal), "committed": .int(committedTotal), "logs": .object(logFigures),
        ]
        report.figures["violations_found"] = .int(Int64(found.count))
        report.violations = Array(found.prefix(maxListed))
        return report
    }

    private func keyed(_ items: [JSON]) -> [String: JSON] {
        var result: [String: JSON] = [:]
        for item in items { if let id = item["order_id"]?.stringValue { result[id] = item } }
        return result
    }

    private struct LogScan {
        var events: Int64 = 0
        var retired: Int64 = 0
        var head: Int64 = 0
        var gaps: [String] = []
        var repeatedCommands: [String] = []
    }

    /// Reads a whole log through `sys.Replay`.
    private func scanLog(_ endpoint: String) throws -> LogScan {
        var scan = LogScan()
        var expected: Int64 = 1
        var lastCommand: String?
        var finished: Set<String> = []
        var repeated: Set<String> = []
        while true {
            let page = try client.query(endpoint, "sys.Replay", ["from": .int(expected), "limit": 1000])
            scan.head = page["head"]?.intValue ?? scan.head
            let events = page["events"]?.arrayValue ?? []
            let retiredRanges = (page["retired"]?.arrayValue ?? []).compactMap { pair -> ClosedRange<Int64>? in
                guard let low = pair.arrayValue?.first?.intValue, let high = pair.arrayValue?.last?.intValue, low <= high else { return nil }
                return low...high
            }
            if events.isEmpty { break }
            for event in events {
                guard let seq = event["seq"]?.intValue else { continue }
                // Sequence numbers retention removed (and named) are not gaps.
                while let range = retiredRanges.first(where: { $0.contains(expected) }) {
                    scan.retired += range.upperBound - expected + 1
                    expected = range.upperBound + 1
                }
                if seq != expected { scan.gaps.append("expected seq \(expected), found \(seq)") }
                expected = seq + 1
                scan.events += 1
                let command = event["meta"]?["causation_id"]?.stringValue
                if command != lastCommand {
                    if let lastCommand { finished.insert(lastCommand) }
                    if let command, finished.contains(command) { repeated.insert(command) }
                    lastCommand = command
                }
            }
        }
        if scan.events + scan.retired != scan.head {
            scan.gaps.append("\(scan.events) events and \(scan.retired) retired for head \(scan.head)")
        }
        scan.repeatedCommands = repeated.sorted()
        return scan
    }

    /// The saga id in a command id (`<saga>/<step>/action`), best effort.
    static func sagaPrefix(_ commandID: String) -> String? {
        let parts = commandID.split(separator: "/")
        return parts.count >= 3 ? parts.dropLast(2).joined(separator: "/") : nil
    }
}
