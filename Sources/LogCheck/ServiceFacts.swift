import Domain
import EventLog
import SagaWire
import ServiceModel

/// One service's log read as facts: its aggregates folded strictly by their own rules (an
/// impossible history is a violation), the money and stock that moved event by event, and which
/// command took effect for each saga step.
struct ServiceFacts {
    let service: String
    var orders: [String: Order] = [:]
    var reservations: [String: Reservation] = [:]
    var payments: [String: Payment] = [:]
    var shipments: [String: Shipment] = [:]
    /// Stock per item as the inventory log moves it: on hand, reserved, committed.
    var stock: [String: (onHand: Int64, reserved: Int64, committed: Int64)] = [:]
    /// Stock the bootstrap initialized (events with no command), per item.
    var initialized: [String: Int64] = [:]
    /// Money each payment stream moved, event by event (a forged second charge included).
    var moneyByOrder: [String: (charged: Int64, refunded: Int64)] = [:]
    /// The last sequence number of each order's aggregate here, to tell the ones retention
    /// removed while the log was being read.
    private var lastSeq: [String: Int64] = [:]
    var problems: [Violation] = []
    /// What following stock through time found (a false rejection, a reservation beyond what
    /// was available): valid only when the log is whole, as retention removes reservations
    /// that moved stock.
    var timelineProblems: [Violation] = []
    /// The first command that took effect for each saga step (saga, role), by key.
    private var effects: [String: String] = [:]
    private var broken: Set<String> = []

    init(service: String) {
        self.service = service
    }

    mutating func read(_ event: Event) {
        noteEffect(event)
        if let orderID = event.data["order_id"]?.stringValue {
            lastSeq[orderID] = event.seq
            // Money is counted event by event, whether or not the stream folds.
            let amount = event.data["amount_cents"]?.intValue ?? 0
            if service == "payment" && event.type == "PaymentCharged" { moneyByOrder[orderID, default: (0, 0)].charged += amount }
            if service == "payment" && event.type == "PaymentRefunded" { moneyByOrder[orderID, default: (0, 0)].refunded += amount }
        }
        guard !broken.contains(event.stream) else { return }
        do {
            switch service {
            case "order":
                if event.type == "OrderCreated" { checkRecordedTotal(event) }
                let key = try orderID(event)
                orders[key] = try Order.folding(orders[key], event)
            case "inventory": try readInventory(event)
            case "payment":
                let key = try orderID(event)
                payments[key] = try Payment.folding(payments[key], event)
            case "shipping":
                let key = try orderID(event)
                shipments[key] = try Shipment.folding(shipments[key], event)
            default: return
            }
        } catch {
            broken.insert(event.stream)
            problems.append(Violation(sagaID: event.metadata.correlationID, check: "replay_strict", detail: "\(service) log: \(error)"))
        }
    }

    /// Forgets the aggregates retention removed while the log was read (their last event is
    /// among the retired sequence numbers): they are counted in the retired totals instead.
    mutating func dropRetired(_ history: RetiredHistory) {
        guard history.events > 0 else { return }
        for (orderID, seq) in lastSeq where history.contains(seq) {
            orders.removeValue(forKey: orderID)
            reservations.removeValue(forKey: orderID)
            payments.removeValue(forKey: orderID)
            shipments.removeValue(forKey: orderID)
            moneyByOrder.removeValue(forKey: orderID)
        }
    }

    /// Charges and refunds over the live payments.
    var chargedCents: Int64 { moneyByOrder.values.reduce(0) { $0 + $1.charged } }
    var refundedCents: Int64 { moneyByOrder.values.reduce(0) { $0 + $1.refunded } }

    private func orderID(_ event: Event) throws(DomainError) -> String {
        guard let id = event.data["order_id"]?.stringValue else { throw DomainError("\(event.stream) v\(event.version): no order_id") }
        return id
    }

    /// An order's recorded total must be what its lines add up to.
    private mutating func checkRecordedTotal(_ event: Event) {
        let lines = event.data["items"]?.arrayValue ?? []
        let sum = lines.reduce(Int64(0)) { $0 + ($1["quantity"]?.intValue ?? 0) * ($1["price_cents"]?.intValue ?? 0) }
        if let recorded = event.data["total_cents"]?.intValue, recorded != sum {
            problems.append(Violation(sagaID: event.metadata.correlationID, check: "recorded_total",
                                      detail: "\(event.stream) records a total of \(recorded) cents, its lines add up to \(sum)"))
        }
    }

    private mutating func readInventory(_ event: Event) throws(DomainError) {
        let d = event.data
        if event.type == "StockInitialized" || event.type == "StockAdded" {
            let item = d["item_id"]?.stringValue ?? "?", quantity = d["quantity"]?.intValue ?? 0
            stock[item, default: (0, 0, 0)].onHand += quantity
            if event.type == "StockInitialized" && event.metadata.causationID == nil { initialized[item] = quantity }
            return
        }
        let key = try orderID(event)
        let old = reservations[key]
        let new = try Reservation.folding(old, event)
        reservations[key] = new
        if old == nil, new.status == .rejected, new.reason == "insufficient_stock" {
            let item = d["item_id"]?.stringValue ?? "?"
            let wanted = new.lines.first { $0.itemID == item }?.quantity ?? 0
            let level = stock[item, default: (0, 0, 0)]
            let available = level.onHand - level.reserved - level.committed
            if available >= wanted {
                timelineProblems.append(Violation(sagaID: event.metadata.correlationID, check: "stock_rejection",
                                          detail: "order \(key) was refused for insufficient stock of \(item): \(wanted) wanted, \(available) available"))
            }
        }
        for line in new.lines {
            var level = stock[line.itemID, default: (0, 0, 0)]
            if old?.status == .reserved { level.reserved -= line.quantity }
            if new.status == .reserved { level.reserved += line.quantity }
            if new.status == .committed { level.committed += line.quantity }
            stock[line.itemID] = level
            if level.onHand - level.reserved - level.committed < 0 {
                timelineProblems.append(Violation(sagaID: event.metadata.correlationID, check: "stock_conserved",
                                          detail: "\(event.stream) v\(event.version) takes \(line.itemID) below zero available"))
            }
        }
    }

    /// At most one command takes effect per saga step, whatever its id (an operator retry's
    /// `/r1`, a forged one): the first command that appended events for a step is its effect.
    private mutating func noteEffect(_ event: Event) {
        guard let causation = event.metadata.causationID, let command = SagaCommandID(parsing: causation) else { return }
        let role: String
        switch command.role {
        case .action(let step): role = "action \(step)"
        case .compensation(let step): role = "compensation \(step)"
        case .completion(let index): role = "completion \(index)"
        }
        let key = "\(command.sagaID)\u{0}\(role)"
        if let first = effects[key] {
            if first != causation {
                problems.append(Violation(sagaID: command.sagaID, check: "one_effect_per_step",
                                          detail: "\(service): \(role) took effect as \(first) and again as \(causation)"))
            }
        } else {
            effects[key] = causation
        }
    }
}
