import SagaWire
import ServiceModel

/// The payment of one order (stream `payment-<order_id>`).
public struct Payment: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// The amount was charged.
        case charged
        /// The charge was declined; nothing was taken.
        case declined
        /// Charged, then refunded by compensation.
        case refunded
        /// Refunded before it was ever charged: a fence that refuses a late charge.
        case voided
    }

    public var orderID: String
    public var paymentID: String
    public var userID: String
    public var amountCents: Int64
    public var status: Status
    public var version: Int64
    public var updatedMs: Int64

    /// The stream that holds an order's payment events.
    public static func stream(_ orderID: String) -> String { "payment-\(orderID)" }

    public var json: JSON {
        ["order_id": .string(orderID), "payment_id": .string(paymentID), "user_id": .string(userID),
         "amount_cents": .int(amountCents), "status": .string(status.rawValue), "version": .int(version),
         "updated_ms": .int(updatedMs)]
    }

    init(orderID: String, paymentID: String, userID: String, amountCents: Int64, status: Status, version: Int64, updatedMs: Int64) {
        self.orderID = orderID
        self.paymentID = paymentID
        self.userID = userID
        self.amountCents = amountCents
        self.status = status
        self.version = version
        self.updatedMs = updatedMs
    }

    /// The payment after `event`, from the one before it (`nil`: none yet). Strict: a second
    /// charge for an order, a refund without a charge or of another amount, … are a
    /// ``DomainError`` naming the stream, the version and the rule.
    public static func folding(_ payment: Payment?, _ event: Event) throws(DomainError) -> Payment {
        let r = Recorded(event.data, "\(event.stream) v\(event.version) (\(event.type) #\(event.seq))")
        func refuse(_ rule: String) -> DomainError { DomainError("\(event.stream) v\(event.version) \(event.type): \(rule)") }
        let orderID = try r.string("order_id")
        guard event.stream == stream(orderID) else { throw refuse("the event names order \(orderID)") }
        let time = event.metadata.timeMs
        switch event.type {
        case "PaymentCharged", "PaymentDeclined":
            if let payment { throw refuse("the order has a payment already (\(payment.status.rawValue))") }
            let amount = try r.int("amount_cents")
            guard amount > 0 else { throw refuse("the amount \(amount) is not positive") }
            return Payment(orderID: orderID, paymentID: try r.string("payment_id"), userID: try r.string("user_id"),
                           amountCents: amount, status: event.type == "PaymentCharged" ? .charged : .declined,
                           version: event.version, updatedMs: time)
        case "PaymentVoided":
            if let payment { throw refuse("the order has a payment already (\(payment.status.rawValue))") }
            return Payment(orderID: orderID, paymentID: "", userID: "", amountCents: 0, status: .voided, version: event.version,
                           updatedMs: time)
        case "PaymentRefunded":
            guard var payment else { throw refuse("the order has no payment") }
            guard payment.status == .charged else { throw refuse("the payment is \(payment.status.rawValue), not charged") }
            let amount = try r.int("amount_cents")
            guard amount == payment.amountCents else { throw refuse("refunds \(amount), but \(payment.amountCents) was charged") }
            payment.status = .refunded
            payment.version = event.version
            payment.updatedMs = time
            return payment
        default:
            throw refuse("payment-service has no event type \(event.type)")
        }
    }

    init(json: JSON) throws(DomainError) {
        let r = Recorded(json, "payment snapshot")
        orderID = try r.string("order_id")
        paymentID = try r.string("payment_id")
        userID = try r.string("user_id")
        amountCents = try r.int("amount_cents")
        status = try r.status(as: Status.self)
        version = try r.int("version")
        updatedMs = try r.int("updated_ms")
    }
}

/// Decides which payments are declined: a seeded hash of the order id, so runs repeat exactly.
public struct DeclinePolicy: Sendable, Equatable {
    /// The share of payments declined, 0 to 1.
    public let rate: Double
    /// The hash seed.
    public let seed: UInt64

    public init(rate: Double, seed: UInt64 = 0) {
        self.rate = min(max(rate, 0), 1)
        self.seed = seed
    }

    /// Whether the payment for `orderID` is declined.
    public func declines(_ orderID: String) -> Bool {
        // FNV-1a over the seed and the order id, then a final mix so nearby ids spread evenly.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in withUnsafeBytes(of: seed.littleEndian, Array.init) + Array(orderID.utf8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return Double(hash % 1_000_000) < rate * 1_000_000
    }
}
