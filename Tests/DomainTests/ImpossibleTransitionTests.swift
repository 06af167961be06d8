import Domain
import SagaWire
import ServiceModel
import Testing

/// Every transition an aggregate cannot make is refused on replay, with a ``DomainError`` that
/// names the stream, the version and the rule: a log that holds one was not written by the
/// service's own decisions (a bug, or a forgery), and the process must not start on it.
@Suite struct ImpossibleTransitionTests {
    static let lines: JSON = [["item_id": "item1", "quantity": 2, "price_cents": 1000]]

    static func event(_ stream: String, _ version: Int64, _ type: String, _ data: JSON) -> Event {
        Event(seq: version, stream: stream, version: version, type: type, data: data,
              metadata: EventMetadata(correlationID: "saga-1", causationID: "saga-1/0/action", service: "test", timeMs: 1_000))
    }

    /// A history (events of one stream) whose last event is impossible, and the words of the rule.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var types: [(String, JSON)]
        var rule: String
        init(_ description: String, _ types: [(String, JSON)], _ rule: String) {
            self.description = description
            self.types = types
            self.rule = rule
        }
    }

    static let order: JSON = ["order_id": "o1"]
    static let created: JSON = ["order_id": "o1", "user_id": "u1", "items": lines, "total_cents": 2000]

    static let orderCases: [Case] = [
        Case("a second creation", [("OrderCreated", created), ("OrderCreated", created)], "exists already"),
        Case("a recorded total that lies", [("OrderCreated", ["order_id": "o1", "user_id": "u1", "items": lines, "total_cents": 1999])],
             "differs from the lines' total"),
        Case("a confirmation of no order", [("OrderConfirmed", order)], "does not exist"),
        Case("a cancellation of no order", [("OrderCancelled", order)], "does not exist"),
        Case("a confirmation after cancellation", [("OrderCreated", created), ("OrderCancelled", order), ("OrderConfirmed", order)],
             "cancelled, not created"),
        Case("a cancellation after confirmation", [("OrderCreated", created), ("OrderConfirmed", order), ("OrderCancelled", order)],
             "confirmed, not created"),
        Case("a second confirmation", [("OrderCreated", created), ("OrderConfirmed", order), ("OrderConfirmed", order)],
             "confirmed, not created"),
        Case("a void of an existing order", [("OrderCreated", created), ("OrderVoided", order)], "cannot be voided"),
        Case("a creation after a void", [("OrderVoided", order), ("OrderCreated", created)], "exists already"),
        Case("an unknown event type", [("OrderShipped", order)], "no event type"),
        Case("an event of another order", [("OrderCreated", ["order_id": "o2", "user_id": "u1", "items": lines, "total_cents": 2000])],
             "names order o2"),
    ]

    @Test(arguments: orderCases) func ordersRefuse(_ c: Case) {
        expectRefused(c, stream: "order-o1") { (state: Order?, event) throws(DomainError) in try Order.folding(state, event) }
    }

    static let charge: JSON = ["order_id": "o1", "payment_id": "p1", "user_id": "u1", "amount_cents": 2000]
    static let paymentCases: [Case] = [
        Case("a second charge", [("PaymentCharged", charge), ("PaymentCharged", charge)], "has a payment already"),
        Case("a charge after a decline", [("PaymentDeclined", charge), ("PaymentCharged", charge)], "has a payment already"),
        Case("a charge after a void", [("PaymentVoided", order), ("PaymentCharged", charge)], "has a payment already"),
        Case("a refund of no charge", [("PaymentRefunded", ["order_id": "o1", "amount_cents": 2000])], "has no payment"),
        Case("a refund larger than the charge", [("PaymentCharged", charge), ("PaymentRefunded", ["order_id": "o1", "amount_cents": 2001])],
             "but 2000 was charged"),
        Case("a refund smaller than the charge", [("PaymentCharged", charge), ("PaymentRefunded", ["order_id": "o1", "amount_cents": 1])],
             "but 2000 was charged"),
        Case("a second refund", [("PaymentCharged", charge), ("PaymentRefunded", ["order_id": "o1", "amount_cents": 2000]),
                                 ("PaymentRefunded", ["order_id": "o1", "amount_cents": 2000])], "refunded, not charged"),
        Case("a refund of a decline", [("PaymentDeclined", charge), ("PaymentRefunded", ["order_id": "o1", "amount_cents": 2000])],
             "declined, not charged"),
        Case("a charge of nothing", [("PaymentCharged", ["order_id": "o1", "payment_id": "p1", "user_id": "u1", "amount_cents": 0])],
             "not positive"),
        Case("an unknown event type", [("PaymentDoubled", order)], "no event type"),
    ]

    @Test(arguments: paymentCases) func paymentsRefuse(_ c: Case) {
        expectRefused(c, stream: "payment-o1") { (state: Payment?, event) throws(DomainError) in try Payment.folding(state, event) }
    }

    static let shipment: JSON = ["order_id": "o1", "shipment_id": "s1", "user_id": "u1"]
    static let shipmentCases: [Case] = [
        Case("a second creation", [("ShipmentCreated", shipment), ("ShipmentCreated", shipment)], "has a shipment already"),
        Case("a creation after a void", [("ShipmentVoided", order), ("ShipmentCreated", shipment)], "has a shipment already"),
        Case("a cancellation of none", [("ShipmentCancelled", order)], "has no shipment"),
        Case("a second cancellation", [("ShipmentCreated", shipment), ("ShipmentCancelled", order), ("ShipmentCancelled", order)],
             "cancelled, not created"),
        Case("an unknown event type", [("ShipmentLost", order)], "no event type"),
    ]

    @Test(arguments: shipmentCases) func shipmentsRefuse(_ c: Case) {
        expectRefused(c, stream: "shipment-o1") { (state: Shipment?, event) throws(DomainError) in try Shipment.folding(state, event) }
    }

    static let reserved: JSON = ["order_id": "o1", "items": [["item_id": "item1", "quantity": 2]]]
    static let reservationCases: [Case] = [
        Case("a second reservation", [("InventoryReserved", reserved), ("InventoryReserved", reserved)], "has a reservation already"),
        Case("a reservation after a void", [("ReservationVoided", order), ("InventoryReserved", reserved)], "has a reservation already"),
        Case("a release of none", [("ReservationReleased", order)], "has no reservation"),
        Case("a commit of none", [("ReservationCommitted", order)], "has no reservation"),
        Case("a release of a released one", [("InventoryReserved", reserved), ("ReservationReleased", order), ("ReservationReleased", order)],
             "released, not reserved"),
        Case("a commit after a release", [("InventoryReserved", reserved), ("ReservationReleased", order), ("ReservationCommitted", order)],
             "released, not reserved"),
        Case("a release after a commit", [("InventoryReserved", reserved), ("ReservationCommitted", order), ("ReservationReleased", order)],
             "committed, not reserved"),
        Case("an unknown event type", [("ReservationDoubled", order)], "no event type"),
    ]

    @Test(arguments: reservationCases) func reservationsRefuse(_ c: Case) {
        expectRefused(c, stream: "reservation-o1") { (state: Reservation?, event) throws(DomainError) in
            try Reservation.folding(state, event)
        }
    }

    /// Stock-level rules, which need the items: the inventory core applies the whole history.
    static let stockCases: [Case] = [
        Case("a reservation of more than is available", [("InventoryReserved", ["order_id": "o1", "items": [["item_id": "item1", "quantity": 11]]])],
             "but 10 are available"),
        Case("a reservation of an unstocked item", [("InventoryReserved", ["order_id": "o1", "items": [["item_id": "nope", "quantity": 1]]])],
             "but 0 are available"),
        Case("a false insufficient-stock rejection", [("InventoryReservationRejected", [
            "order_id": "o1", "items": [["item_id": "item1", "quantity": 10]], "reason": "insufficient_stock", "item_id": "item1"])],
             "insufficient stock of item1, but 10 were available"),
        Case("a false unknown-item rejection", [("InventoryReservationRejected", [
            "order_id": "o1", "items": [["item_id": "item1", "quantity": 1]], "reason": "unknown_item", "item_id": "item1"])],
             "is stocked"),
    ]

    @Test(arguments: stockCases) func stockRefuses(_ c: Case) throws {
        var core = InventoryCore(initialStock: ["item1": 10])
        _ = try core.apply(Self.event("item-item1", 1, "StockInitialized", ["item_id": "item1", "quantity": 10]))
        var version: Int64 = 0
        do {
            for (type, data) in c.types {
                version += 1
                _ = try core.apply(Self.event("reservation-o1", version, type, data))
            }
            Issue.record("\(c) was folded")
        } catch {
            #expect(error.message.contains(c.rule), "\(error.message)")
            #expect(error.message.hasPrefix("reservation-o1 v\(version) "), "\(error.message)")
        }
    }

    @Test func stockCannotBeInitializedTwiceOrAddedFirst() throws {
        var core = InventoryCore(initialStock: [:])
        #expect(throws: DomainError.self) { _ = try core.apply(Self.event("item-item1", 1, "StockAdded", ["item_id": "item1", "quantity": 1])) }
        _ = try core.apply(Self.event("item-item1", 1, "StockInitialized", ["item_id": "item1", "quantity": 10]))
        #expect(throws: DomainError.self) {
            _ = try core.apply(Self.event("item-item1", 2, "StockInitialized", ["item_id": "item1", "quantity": 10]))
        }
    }

    /// Folds the case's history and expects its last event refused, naming stream, version and rule.
    private func expectRefused<State>(_ c: Case, stream: String,
                                      _ fold: (State?, Event) throws(DomainError) -> State) {
        var state: State?
        for (index, (type, data)) in c.types.enumerated() {
            let event = Self.event(stream, Int64(index + 1), type, data)
            do {
                state = try fold(state, event)
                if index == c.types.count - 1 { Issue.record("\(c): the impossible \(type) was folded") }
            } catch {
                #expect(index == c.types.count - 1, "\(c): \(type) at \(index + 1) was refused: \(error)")
                #expect(error.message.hasPrefix("\(stream) v\(index + 1) \(type): "), "\(error.message)")
                #expect(error.message.contains(c.rule), "\(c): \(error.message)")
                return
            }
        }
    }
}
