import SagaWire

/// payment-service's core: payments charged, declined, refunded.
///
/// Commands: `payment.ChargePayment`, `payment.RefundPayment`.
/// Events: `PaymentCharged`, `PaymentDeclined`, `PaymentRefunded`, `PaymentVoided`.
/// Queries: `payment.PaymentsByOrder`, `payment.ListPayments`, `payment.Totals`.
public struct PaymentCore: ServiceCore {
    public static let serviceName = "payment"
    public static let commandTypes = ["payment.ChargePayment", "payment.RefundPayment"]
    public static let queryTypes = ["payment.PaymentsByOrder", "payment.ListPayments", "payment.Totals"]

    /// Payments by order id.
    public private(set) var payments: [String: Payment] = [:]
    /// Which payments are declined.
    public let declinePolicy: DeclinePolicy
    private var chargedCents: Int64 = 0
    private var refundedCents: Int64 = 0
    private var counts: [Payment.Status: Int64] = [:]
    private var refunds: Int64 = 0

    public init(declinePolicy: DeclinePolicy = DeclinePolicy(rate: 0.3)) {
        self.declinePolicy = declinePolicy
    }

    public func decide(_ command: Command, now: Int64) throws(WireError) -> Decision {
        let body = try command.fields()
        let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
        let stream = Payment.stream(orderID)
        let existing = payments[orderID]
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
                data = ["order_id": .string(orderID), "payment_id": .string(paymentID), "user_id": .string(userID),
                        "amount_cents": .int(amount), "reason": "card_declined"]
                return .rejected("payment_declined", "the card was declined", body: ["order_id": .string(orderID)],
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

    public mutating func apply(_ event: Event) throws(DomainError) {
        let r = Recorded(event.data, "\(event.type) #\(event.seq)")
        let orderID = try r.string("order_id")
        let time = event.metadata.timeMs
        switch event.type {
        case "PaymentCharged", "PaymentDeclined":
            let charged = event.type == "PaymentCharged"
            put(Payment(orderID: orderID, paymentID: try r.string("payment_id"), userID: try r.string("user_id"),
                        amountCents: try r.int("amount_cents"), status: charged ? .charged : .declined,
                        version: event.version, updatedMs: time))
        case "PaymentVoided":
            put(Payment(orderID: orderID, paymentID: "", userID: "", amountCents: 0, status: .voided,
                        version: event.version, updatedMs: time))
        case "PaymentRefunded":
            guard var payment = payments[orderID], payment.status == .charged else {
                throw DomainError("PaymentRefunded for order \(orderID) without a charge")
            }
            payment.status = .refunded
            payment.version = event.version
            payment.updatedMs = time
            put(payment)
        default:
            throw DomainError("payment-service cannot apply event type \(event.type)")
        }
    }

    private mutating func put(_ payment: Payment) {
        if let old = payments[payment.orderID] { counts[old.status, default: 0] -= 1 }
        counts[payment.status, default: 0] += 1
        // Money moves on a charge and on a refund; a refunded payment counts in both totals.
        switch (payments[payment.orderID]?.status, payment.status) {
        case (nil, .charged): chargedCents += payment.amountCents
        case (.charged, .refunded): refundedCents += payment.amountCents; refunds += 1
        case (nil, .refunded): chargedCents += payment.amountCents; refundedCents += payment.amountCents; refunds += 1
        default: break
        }
        payments[payment.orderID] = payment
    }

    public func query(_ query: Query, now: Int64) throws(WireError) -> JSON {
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "payment.PaymentsByOrder":
            let orderID = try body.identifier("order_id", maxBytes: Limits.idBytes)
            return ["order_id": .string(orderID), "payments": .array(payments[orderID].map { [$0.json] } ?? [])]
        case "payment.ListPayments":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, Payment.Status(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of charged, declined, refunded, voided", field: "body.status")
            }
            let page = try Page(body)
            let wanted = status.flatMap(Payment.Status.init(rawValue:))
            let (slice, next) = wanted.map { wanted in page.select(payments.lazy.filter { $0.value.status == wanted }.map { $0.key }) }
                ?? page.select(payments.keys)
            return ["payments": .array(slice.map { payments[$0]!.json }), "next": next.map { .string($0) } ?? .null]
        case "payment.Totals":
            var byStatus: [String: JSON] = [:]
            for status in Payment.Status.allCases { byStatus[status.rawValue] = .int(counts[status, default: 0]) }
            return ["charged_cents": .int(chargedCents), "refunded_cents": .int(refundedCents),
                    "net_cents": .int(chargedCents - refundedCents), "payments": .int(Int64(payments.count)),
                    "refunds": .int(refunds), "by_status": .object(byStatus)]
        default:
            throw unknownType(query.type, service: Self.serviceName)
        }
    }

    public func snapshot(stream: String) -> JSON? {
        guard stream.hasPrefix("payment-") else { return nil }
        return payments[String(stream.dropFirst(8))]?.json
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        put(try Payment(json: snapshot))
    }
}
