import Domain
import SagaWire
import ServiceModel
import Testing

@Suite struct PaymentCoreTests {
    func charge(_ id: String, _ amount: Int64 = 2500) -> JSON {
        ["order_id": .string(id), "user_id": "u1", "amount_cents": .int(amount)]
    }

    @Test func declinesAreSeededAndNearTheRate() {
        let policy = DeclinePolicy(rate: 0.3, seed: 0)
        let declined = (0..<20_000).filter { policy.declines("order-\($0)") }.count
        #expect(abs(Double(declined) / 20_000 - 0.3) < 0.015)
        // The same order id always gets the same answer; another seed gives another set.
        #expect((0..<100).allSatisfy { policy.declines("o\($0)") == DeclinePolicy(rate: 0.3, seed: 0).declines("o\($0)") })
        let other = DeclinePolicy(rate: 0.3, seed: 9)
        #expect((0..<200).contains { policy.declines("o\($0)") != other.declines("o\($0)") })
        #expect(!(0..<1000).contains { DeclinePolicy(rate: 0).declines("o\($0)") })
        #expect((0..<1000).allSatisfy { DeclinePolicy(rate: 1).declines("o\($0)") })
    }

    /// A decline's event carries the reply's reason and message: the orchestrator records the
    /// same failure whichever of the two reaches it first.
    @Test func aDeclinesEventCarriesTheRepliesReasonAndMessage() throws {
        var h = Harness(PaymentCore(declinePolicy: DeclinePolicy(rate: 1)))
        let decision = try h.send("payment.ChargePayment", charge("o1", 2500))
        #expect(decision.outcome == .rejected && decision.reason == "payment_declined")
        let event = try #require(h.log.last)
        #expect(event.type == "PaymentDeclined")
        #expect(event.data["reason"]?.stringValue == decision.reason && event.data["message"]?.stringValue == decision.message)
    }

    @Test func chargeRefundAndTotals() throws {
        var h = Harness(PaymentCore(declinePolicy: DeclinePolicy(rate: 0)))
        #expect(try h.send("payment.ChargePayment", charge("o1", 2500)).outcome == .ok)
        try h.send("payment.ChargePayment", charge("o2", 1000))
        #expect(try h.send("payment.RefundPayment", ["order_id": "o1"]).outcome == .ok)
        #expect(try h.send("payment.RefundPayment", ["order_id": "o1"]).appends.isEmpty)
        let totals = try h.query("payment.Totals")
        #expect(totals["charged_cents"] == 3500)
        #expect(totals["refunded_cents"] == 2500)
        #expect(totals["net_cents"] == 1000)
        #expect(try h.send("payment.ChargePayment", charge("o2")).reason == "payment_exists")
        let restored = try h.restored(PaymentCore())
        #expect(try h.query(restored, "payment.Totals") == totals)
        let replayed = try h.replayed(PaymentCore())
        #expect(try replayed.query("payment.Totals") == totals)
        #expect(try replayed.query("payment.ListPayments", ["limit": 1000]) == h.query("payment.ListPayments", ["limit": 1000]))
    }

    @Test func declinedPaymentsAreRecordedAndNeedNoRefund() throws {
        var h = Harness(PaymentCore(declinePolicy: DeclinePolicy(rate: 1)))
        let declined = try h.send("payment.ChargePayment", charge("o1"))
        #expect(declined.outcome == .rejected && declined.reason == "payment_declined")
        #expect(h.log.last?.type == "PaymentDeclined")
        #expect(try h.send("payment.RefundPayment", ["order_id": "o1"]).appends.isEmpty)
        #expect(try h.query("payment.Totals")["net_cents"] == 0)
    }

    @Test func refundBeforeChargeFencesTheLateCharge() throws {
        var h = Harness(PaymentCore(declinePolicy: DeclinePolicy(rate: 0)))
        try h.send("payment.RefundPayment", ["order_id": "o1"])
        #expect(h.log.last?.type == "PaymentVoided")
        #expect(try h.send("payment.ChargePayment", charge("o1")).reason == "aborted")
        #expect(try h.query("payment.Totals")["charged_cents"] == 0)
        #expect(invalid { try h.send("payment.ChargePayment", charge("o2", 0)) }?.field == "body.amount_cents")
        #expect(invalid { try h.send("payment.ChargePayment", charge("o2", -5)) }?.field == "body.amount_cents")
    }
}

@Suite struct ShippingCoreTests {
    @Test func createCancelAndFence() throws {
        var h = Harness(ShippingCore())
        #expect(try h.send("shipping.CreateShipment", ["order_id": "o1", "user_id": "u1"]).body["shipment_id"] == "ship-o1")
        #expect(try h.send("shipping.CancelShipment", ["order_id": "o1"]).outcome == .ok)
        #expect(try h.send("shipping.CancelShipment", ["order_id": "o1"]).appends.isEmpty)
        try h.send("shipping.CancelShipment", ["order_id": "o2"])
        #expect(try h.send("shipping.CreateShipment", ["order_id": "o2", "user_id": "u1"]).reason == "aborted")
        #expect(try h.send("shipping.CreateShipment", ["order_id": "o1", "user_id": "u1"]).reason == "shipment_exists")
        let stats = try h.query("shipping.Stats")
        #expect(stats["by_status"]?["cancelled"] == 1 && stats["by_status"]?["voided"] == 1)
        let replayed = try h.replayed(ShippingCore())
        for (type, body) in [("shipping.ListShipments", ["limit": 1000] as JSON), ("shipping.Stats", [:])] {
            #expect(try replayed.query(type, body) == h.query(type, body))
            #expect(try h.query(h.restored(ShippingCore()), type, body) == h.query(type, body))
        }
    }
}
