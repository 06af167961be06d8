import SagaWire
import ServiceModel

/// payment-service's core: payments charged, declined, refunded.
///
/// Commands: `payment.ChargePayment`, `payment.RefundPayment`.
/// Events: `PaymentCharged`, `PaymentDeclined`, `PaymentRefunded`, `PaymentVoided`.
/// Queries: `payment.PaymentsByOrder`, `payment.ListPayments`, `payment.Totals`.
public struct PaymentCore: ServiceCore {
    public static let serviceName = "payment"
    public static let commandTypes = ["payment.ChargePayment", "payment.RefundPayment"]
    public static let queryTypes = ["payment.PaymentsByOrder", "payment.ListPayments", "payment.Totals"]
    public static let readModel = ReadModelSchema([
        ReadTable("payments", columns: ["status", "updated_ms"], indexes: [["status", "updated_ms"]]),
    ])
    /// A payment's every status is settled as far as retention goes: a saga old enough to see
    /// it retired is `expired` anyway.
    public static let retentionRules = [
        RetentionRule(table: "payments", settledStatuses: ["charged", "declined", "refunded", "voided"], streamPrefix: "payment-"),
    ]

    /// Payments loaded from their streams, by stream (`nil`: none).
    private var payments: AggregateCache<Payment>
    /// Which payments are declined.
    public let declinePolicy: DeclinePolicy

    public init(declinePolicy: DeclinePolicy = DeclinePolicy(rate: 0.3), cacheCapacity: Int = 20_000) {
        self.declinePolicy = declinePolicy
        payments = AggregateCache(capacity: cacheCapacity)
    }

    /// No payments loaded: a payment's events fold on their own.
    public var retirementFold: PaymentCore { PaymentCore(declinePolicy: declinePolicy, cacheCapacity: payments.capacity) }

    public func streams(for command: Command) throws(WireError) -> [String] {
        [Payment.stream(try command.fields().identifier("order_id", maxBytes: Limits.idBytes))]
    }

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Payment.stream(orderID)
        let existing = payments[stream]
        switch command.type {
        case "payment.ChargePayment":
            let userID = try body.identifier("user_id", maxBytes: Limits.idBytes)
            let amount = try body.int("amount_cents", in: Limits.amountCents)
            if let existing {
                if existing.status == .voided {
                    return .rejected("aborted", "the payment for order \(orderID) was refunded before it was charged")
                }
                return .rejected("payment_exists", "order \(orderID) already has a payment (\(existing.status.rawValue))")
            }
            let paymentID = "pay-\(orderID)"
            var data: JSON = ["order_id": .string(orderID), "payment_id": .string(paymentID),
                              "user_id": .string(userID), "amount_cents": .int(amount)]
            if declinePolicy.declines(orderID) {
                // The event carries the reply's reason and message, so the saga records the same
                // failure whichever reaches the orchestrator first.
                let (reason, message) = ("payment_declined", "the card was declined")
                data = ["order_id": .string(orderID), "payment_id": .string(paymentID), "user_id": .string(userID),
                        "amount_cents": .int(amount), "reason": .string(reason), "message": .string(message)]
                return .rejected(reason, message, body: ["order_id": .string(orderID)],
                                 [append(stream, at: 0, command.event("PaymentDeclined", data, at: now))])
            }
            return .ok(["order_id": .string(orderID), "payment_id": .string(paymentID), "amount_cents": .int(amount)],
                       [append(stream, at: 0, command.event("PaymentCharged", data, at: now))])

        case "payment.RefundPayment":
            let order: JSON = ["order_id": .string(orderID)]
            guard let existing else {
                return .ok(["order_id": .string(orderID), "status": "voided"],
                           [append(stream, at: 0, command.event("PaymentVoided", order, at: now))])
            }
            switch existing.status {
            case .charged:
                let data: JSON = ["order_id": .string(orderID), "payment_id": .string(existing.paymentID),
                                  "amount_cents": .int(existing.amountCents)]
                return .ok(["order_id": .string(orderID), "status": "refunded", "amount_cents": .int(existing.amountCents)],
                           [append(stream, at: existing.version, command.event("PaymentRefunded", data, at: now))])
            case .declined, .refunded, .voided:
                return .ok(["order_id": .string(orderID), "status": .string(existing.status.rawValue)])
            }

        default:
            throw unknownType(command.type, service: Self.serviceName)
        }
    }

    public func holds(_ stream: String) -> Bool { payments.holds(stream) }

    public mutating func load(_ stream: String, events: [Event]) throws(DomainError) {
        var payment: Payment?
        for event in events { payment = try Payment.folding(payment, event) }
        payments.put(stream, payment)
    }

    /// Money moves on a charge and on a refund; the running totals (`payments.charged_cents`,
    /// `payments.refunded_cents`) count every one, whatever retention later removes.
    public mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        let old = payments[event.stream]
        let payment = try Payment.folding(old, event)
        payments.put(event.stream, payment)
        var writes: [ReadWrite] = [.put(table: "payments", key: payment.orderID, columns: [
            "status": .text(payment.status.rawValue), "updated_ms": .int(payment.updatedMs),
        ], document: payment.json)]
        if let old { writes.append(.count("payments.status.\(old.status.rawValue)", by: -1)) }
        else { writes.append(.count("payments.total", by: 1)) }
        writes.append(.count("payments.status.\(payment.status.rawValue)", by: 1))
        switch payment.status {
        case .charged:
            writes += [.count("payments.charged_cents", by: payment.amountCents), .count("payments.charges", by: 1)]
        case .refunded:
            writes += [.count("payments.refunded_cents", by: payment.amountCents), .count("payments.refunds", by: 1)]
        case .declined, .voided:
            break
        }
        return writes
    }

    public mutating func trim() { payments.trim() }

    public mutating func forget(_ stream: String) { payments.remove(stream) }

    public func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "payment.PaymentsByOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            return ["order_id": .string(orderID), "payments": .array(try reader.document("payments", key: orderID).map { [$0] } ?? [])]
        case "payment.ListPayments":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Payment.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of charged, declined, refunded, voided", field: "body.status")
            }
            let (payments, next) = try reader.page("payments", filter: status.map { ["status": .text($0)] } ?? [:], try Page(body))
            return ["payments": .array(payments), "next": next.map { .string($0) } ?? .null]
        case "payment.Totals":
            let counters = try reader.counters(prefix: "payments.")
            var byStatus: [String: JSON] = [:]
            for status in Payment.Status.allCases { byStatus[status.rawValue] = .int(counters["payments.status.\(status.rawValue)", default: 0]) }
            let charged = counters["payments.charged_cents", default: 0], refunded = counters["payments.refunded_cents", default: 0]
            return ["charged_cents": .int(charged), "refunded_cents": .int(refunded), "net_cents": .int(charged - refunded),
                    "payments": .int(counters["payments.total", default: 0]), "charges": .int(counters["payments.charges", default: 0]),
                    "refunds": .int(counters["payments.refunds", default: 0]), "by_status": .object(byStatus)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    /// Payments are loaded on demand: nothing of them is part of the working set.
    public func snapshot(stream: String) -> JSON? { nil }

    /// Snapshots of earlier versions (one per payment) are not needed: ignored.
    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {}
}
