import Domain
import SagaWire

/// The cross-log checks, over the facts read from every log.
struct Checks {
    let sagas: [String: SagaRecord]
    let facts: [String: ServiceFacts]
    let scans: [String: LogScan]
    let commands: [String: [String: RecordedCommand]]
    let stock: [String: Int64]?
    var found: [Violation] = []
    var figures: [String: JSON] = [:]
    /// Sagas that started after this time (ms) are whole in every log: retention removed
    /// nothing of them anywhere (the latest retirement's horizon, plus slack for clocks).
    let horizon: Int64
    private let sagaOfOrder: [String: String]

    init(sagas: [String: SagaRecord], facts: [String: ServiceFacts], scans: [String: LogScan],
         commands: [String: [String: RecordedCommand]], stock: [String: Int64]?) {
        self.sagas = sagas
        self.facts = facts
        self.scans = scans
        self.commands = commands
        self.stock = stock
        let through = scans.values.map(\.history.throughMs).max() ?? 0
        horizon = through > 0 ? through + 5_000 : .min
        var sagaOfOrder: [String: String] = [:]
        for saga in sagas.values { if let order = saga.orderID { sagaOfOrder[order] = saga.id } }
        self.sagaOfOrder = sagaOfOrder
    }

    private mutating func violation(_ sagaID: String?, _ check: String, _ detail: String) {
        found.append(Violation(sagaID: sagaID, check: check, detail: detail))
    }

    private func retired(_ process: String, _ counter: String) -> Int64 { scans[process]?.retired(counter) ?? 0 }
    private var whole: Bool { horizon == .min }

    /// Every saga settled, and each service's aggregate is where the saga's outcome says.
    mutating func sagasSettledAsTheyClaim() {
        let orders = facts["order"]!.orders, reservations = facts["inventory"]!.reservations
        let payments = facts["payment"]!.payments, shipments = facts["shipping"]!.shipments
        var checked = 0
        for saga in sagas.values.sorted(by: { $0.id < $1.id }) {
            guard saga.status.isTerminal else {
                violation(saga.id, "terminal", "saga is \(saga.status.rawValue)")
                continue
            }
            guard saga.type == "order", saga.startedMs >= horizon, let orderID = saga.orderID else { continue }
            checked += 1
            let order = orders[orderID], reservation = reservations[orderID]?.status
            let payment = payments[orderID], shipment = shipments[orderID]?.status
            if saga.status == .completed {
                if order?.status != .confirmed { violation(saga.id, "completed_order", "order \(orderID) is \(order?.status.rawValue ?? "missing"), not confirmed") }
                if reservation != .committed { violation(saga.id, "completed_stock", "reservation is \(reservation?.rawValue ?? "missing"), not committed") }
                if payment?.status != .charged { violation(saga.id, "completed_payment", "payment is \(payment?.status.rawValue ?? "missing"), not charged") }
                if shipment != .created { violation(saga.id, "completed_shipment", "shipment is \(shipment?.rawValue ?? "missing"), not created") }
                if let payment, payment.status == .charged, payment.amountCents != saga.amountCents || payment.amountCents != (order?.totalCents ?? payment.amountCents) {
                    violation(saga.id, "charge_amount", "charged \(payment.amountCents) cents for an order of \(order?.totalCents ?? -1) (saga amount \(saga.amountCents))")
                }
            } else {
                if let status = order?.status, status == .created || status == .confirmed { violation(saga.id, "compensated_order", "order \(orderID) is \(status.rawValue)") }
                if reservation == .reserved || reservation == .committed { violation(saga.id, "compensated_stock", "reservation is still \(reservation!.rawValue)") }
                if payment?.status == .charged { violation(saga.id, "compensated_payment", "payment is still charged") }
                if shipment == .created { violation(saga.id, "compensated_shipment", "shipment is still live") }
            }
        }
        for order in orders.values where order.status == .confirmed {
            guard let sagaID = order.sagaID, let saga = sagas[sagaID] else {
                if whole { violation(order.sagaID, "confirmed_without_saga", "order \(order.orderID) is confirmed, and no saga started it") }
                continue
            }
            if saga.status != .completed { violation(sagaID, "confirmed_without_saga", "order \(order.orderID) is confirmed, but its saga is \(saga.status.rawValue)") }
        }
        figures["sagas_checked_whole"] = .int(Int64(checked))
    }

    /// For any saga type: every compensated saga compensated each step that may have taken
    /// effect and has a compensation (the steps before the failed one; the failed one too when
    /// it ran out of attempts, and the next when it may have been sent ahead: the failure's
    /// `compensate_from`), each exactly once, last step first.
    mutating func compensatedInReverse() {
        var checked = 0
        for saga in sagas.values.sorted(by: { $0.id < $1.id }) where saga.status == .compensated && saga.startedMs >= horizon {
            guard let compensable = saga.compensable,
                  let from = saga.claims.last(where: { $0.kind == .failed })?.compensateFrom else { continue }
            var compensated: [Int] = []
            for claim in saga.claims where claim.kind == .compensated {
                if case .compensation(let step)? = SagaCommandID(parsing: claim.commandID)?.role { compensated.append(step) }
            }
            let expected = compensable.filter { $0 <= from }
            checked += 1
            for step in Set(compensated) where compensated.filter({ $0 == step }).count > 1 {
                violation(saga.id, "compensated_once", "step \(step) was compensated \(compensated.filter { $0 == step }.count) times")
            }
            let missing = expected.subtracting(compensated)
            if !missing.isEmpty { violation(saga.id, "compensated_all", "steps \(missing.sorted()) took effect and were never compensated") }
            let extra = Set(compensated).subtracting(expected)
            if !extra.isEmpty { violation(saga.id, "compensated_all", "steps \(extra.sorted()) were compensated but never took effect") }
            if compensated != compensated.sorted(by: >) {
                violation(saga.id, "compensated_in_reverse", "compensations ran in the order \(compensated), not last step first")
            }
        }
        figures["compensations_checked"] = .int(Int64(checked))
    }

    /// Every claim the orchestrator recorded about a command is confirmed by the command's
    /// owner: a success, compensation or completion by an `ok` record; a failure (other than
    /// running out of attempts) by the absence of one.
    mutating func claimsConfirmed() {
        var confirmed = 0
        for saga in sagas.values.sorted(by: { $0.id < $1.id }) where saga.startedMs >= horizon {
            for claim in saga.claims {
                guard let records = commands[claim.service] else { continue }
                let record = records[claim.commandID]
                switch claim.kind {
                case .succeeded, .compensated, .completed:
                    if record?.outcome != "ok" {
                        violation(saga.id, "claim_confirmed", "the orchestrator recorded \(claim.commandID) as \(claim.kind.rawValue), "
                                  + "but \(claim.service) recorded \(record.map { "it as \($0.outcome)" } ?? "no such command")")
                    }
                case .failed:
                    if !claim.exhausted, record?.outcome == "ok" {
                        violation(saga.id, "claim_confirmed", "the orchestrator recorded \(claim.commandID) as failed, but \(claim.service) applied it")
                    }
                }
                confirmed += 1
            }
        }
        figures["claims_confirmed"] = .int(Int64(confirmed))
    }

    /// Charges − refunds = confirmed orders' totals = completed sagas' amounts, over the whole
    /// history: the live events plus what retention counted out.
    mutating func money() {
        let payment = facts["payment"]!
        let net = payment.chargedCents - payment.refundedCents
            + retired("payment", "payments.charged_cents") - retired("payment", "payments.refunded_cents")
        let confirmed = facts["order"]!.orders.values.filter { $0.status == .confirmed }.reduce(Int64(0)) { $0 + $1.totalCents }
            + retired("order", "orders.confirmed_cents")
        let completed = sagas.values.filter { $0.status == .completed && $0.type == "order" }.reduce(Int64(0)) { $0 + $1.amountCents }
            + retired("saga", "sagas.completed_cents")
        if net != confirmed || confirmed != completed {
            violation(nil, "money", "charges minus refunds are \(net) cents, confirmed orders total \(confirmed), completed sagas \(completed)")
        }
        figures["net_payment_cents"] = .int(net)
        figures["confirmed_total_cents"] = .int(confirmed)
        figures["completed_saga_cents"] = .int(completed)
        figures["orders"] = .int(Int64(facts["order"]!.orders.count))
    }

    /// The stock: initialized as configured, committed as confirmed orders bought, nothing held
    /// for a settled saga.
    mutating func stockAccounts() {
        let inventory = facts["inventory"]!
        if let stock {
            for (item, quantity) in stock.sorted(by: { $0.key < $1.key }) where inventory.initialized[item] != quantity {
                violation(nil, "stock_initial", "item \(item) was initialized with \(inventory.initialized[item].map { "\($0)" } ?? "nothing"), configured \(quantity)")
            }
            for item in inventory.initialized.keys.sorted() where stock[item] == nil {
                violation(nil, "stock_initial", "item \(item) was initialized, but is not configured")
            }
        }
        var bought: [String: Int64] = [:]
        for order in facts["order"]!.orders.values where order.status == .confirmed {
            for line in order.lines { bought[line.itemID, default: 0] += line.quantity }
        }
        // A log retired by an earlier build kept no per-item totals of confirmed orders: the units
        // its retired orders bought are unknown, and the comparison cannot be made.
        let retiredOrders = scans["order"]?.history.totals ?? [:]
        let unitsKnown = retired("order", "orders.confirmed_cents") == 0
            || retiredOrders.keys.contains { $0.hasPrefix("orders.confirmed_units.") }
        figures["stock_committed_checked"] = .bool(unitsKnown)
        var onHand: Int64 = 0, committedTotal: Int64 = 0
        var taken: [String: Int64] = [:]
        for reservation in inventory.reservations.values where reservation.status == .committed {
            for line in reservation.lines { taken[line.itemID, default: 0] += line.quantity }
        }
        for item in Set(inventory.stock.keys).union(bought.keys).sorted() {
            let level = inventory.stock[item] ?? (0, 0, 0)
            let committed = taken[item, default: 0] + retired("inventory", "stock.committed.\(item)")
            let confirmed = bought[item, default: 0] + retired("order", "orders.confirmed_units.\(item)")
            onHand += level.onHand
            committedTotal += committed
            if unitsKnown && committed != confirmed {
                violation(nil, "stock_committed", "item \(item): \(committed) committed, confirmed orders bought \(confirmed)")
            }
        }
        for reservation in inventory.reservations.values where reservation.status == .reserved {
            let saga = sagaOfOrder[reservation.orderID].flatMap { sagas[$0] }
            if let saga, !saga.status.isTerminal { continue }
            violation(saga?.id, "stock_reserved", "order \(reservation.orderID) still holds stock, its saga is \(saga?.status.rawValue ?? "unknown")")
        }
        figures["on_hand"] = .int(onHand)
        figures["committed"] = .int(committedTotal)
    }
}
