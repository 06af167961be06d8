import Domain
import SagaWire
import ServiceModel
import Testing

@Suite struct OrderCoreTests {
    @Test func createConfirmAndQuery() throws {
        var h = Harness(OrderCore())
        let created = try h.send("order.CreateOrder", order("o1", items: [("item1", 2, 1000), ("item2", 1, 2550)]))
        #expect(created.outcome == .ok)
        #expect(created.body["total_cents"] == 4550)
        #expect(h.log.map(\.type) == ["OrderCreated"])
        #expect(h.log[0].stream == "order-o1")
        #expect(h.log[0].metadata.correlationID == "saga-1")
        #expect(try h.send("order.ConfirmOrder", ["order_id": "o1"]).outcome == .ok)
        // Confirming again is a no-op that still succeeds.
        let again = try h.send("order.ConfirmOrder", ["order_id": "o1"])
        #expect(again.outcome == .ok && again.appends.isEmpty)
        let got = try h.query("order.GetOrder", ["order_id": "o1"])
        #expect(got["order"]?["status"] == "confirmed")
        #expect(got["order"]?["total_cents"] == 4550)
        #expect(try h.query("order.OrdersByUser", ["user_id": "u1"])["count"] == 1)
        let stats = try h.query("order.Stats")
        #expect(stats["by_status"]?["confirmed"] == 1)
        #expect(stats["confirmed_total_cents"] == 4550)
        #expect(invalid { _ = try h.query("order.GetOrder", ["order_id": "nope"]) }?.code == .notFound)
    }

    @Test func cancelBeforeCreateFencesTheLateCreate() throws {
        var h = Harness(OrderCore())
        let cancel = try h.send("order.CancelOrder", ["order_id": "o1"])
        #expect(cancel.outcome == .ok)
        #expect(h.log.map(\.type) == ["OrderVoided"])
        let late = try h.send("order.CreateOrder", order("o1"))
        #expect(late.outcome == .rejected)
        #expect(late.reason == "aborted")
        #expect(late.appends.isEmpty)
        // Cancelling again changes nothing.
        #expect(try h.send("order.CancelOrder", ["order_id": "o1"]).appends.isEmpty)
        #expect(try h.query("order.GetOrder", ["order_id": "o1"])["order"]?["status"] == "voided")
    }

    @Test func cancelCompensatesACreatedOrderOnce() throws {
        var h = Harness(OrderCore())
        try h.send("order.CreateOrder", order("o1"))
        #expect(try h.send("order.CancelOrder", ["order_id": "o1", "reason": "payment declined"]).outcome == .ok)
        #expect(try h.send("order.CancelOrder", ["order_id": "o1"]).appends.isEmpty)
        #expect(h.log.map(\.type) == ["OrderCreated", "OrderCancelled"])
        #expect(try h.send("order.ConfirmOrder", ["order_id": "o1"]).reason == "order_cancelled")
        #expect(try h.send("order.CreateOrder", order("o1")).reason == "order_exists")
    }

    @Test func aConfirmedOrderCannotBeCancelled() throws {
        var h = Harness(OrderCore())
        try h.send("order.CreateOrder", order("o1"))
        try h.send("order.ConfirmOrder", ["order_id": "o1"])
        #expect(try h.send("order.CancelOrder", ["order_id": "o1"]).reason == "already_confirmed")
        #expect(try h.send("order.ConfirmOrder", ["order_id": "o2"]).reason == "unknown_order")
    }

    /// Invalid input is refused with `invalid_argument` naming the field, and records nothing.
    @Test(arguments: [
        (order("o1", items: [("item1", -2, 1000)]), "body.items[0].quantity"),
        (order("o1", items: [("item1", 0, 1000)]), "body.items[0].quantity"),
        (order("o1", items: [("item1", 10_001, 1000)]), "body.items[0].quantity"),
        (order("o1", items: [("item1", 1, 0)]), "body.items[0].price_cents"),
        (order("o1", items: [("item1", 1, 100_000_001)]), "body.items[0].price_cents"),
        (order("o1", items: [("item1", 1, 10), ("item1", 1, 10)]), "body.items[1].item_id"),
        (order("o1", items: []), "body.items"),
        (order("o1", user: "bad user"), "body.user_id"),
        (order(String(repeating: "x", count: 129)), "body.order_id"),
        (["order_id": "o1", "user_id": "u1", "items": [["item_id": "item1", "quantity": 1.5, "price_cents": 10]]], "body.items[0].quantity"),
        (["order_id": "o1", "user_id": "u1", "items": "none"], "body.items"),
        (["user_id": "u1"], "body.order_id"),
    ] as [(JSON, String)])
    func refusesInvalidOrders(_ body: JSON, _ field: String) throws {
        var h = Harness(OrderCore())
        let error = invalid { try h.send("order.CreateOrder", body) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.field == field)
        #expect(h.log.isEmpty)
    }

    @Test func tooManyItemsAreRefused() {
        var h = Harness(OrderCore())
        let items = (0...Limits.maxItems).map { ("item\($0)", Int64(1), Int64(1)) }
        #expect(invalid { try h.send("order.CreateOrder", order("o1", items: items)) }?.field == "body.items")
        #expect(invalid { try h.send("order.Teleport", ["order_id": "o1"]) }?.code == .unknownType)
    }

    @Test func replayAndSnapshotsRebuildTheSameState() throws {
        var h = Harness(OrderCore())
        for i in 0..<30 {
            try h.send("order.CreateOrder", order("o\(i)", user: "u\(i % 4)"))
            if i % 3 == 0 { try h.send("order.CancelOrder", ["order_id": .string("o\(i)")]) }
            if i % 3 == 1 { try h.send("order.ConfirmOrder", ["order_id": .string("o\(i)")]) }
        }
        try h.send("order.CancelOrder", ["order_id": "never"])
        let replayed = try h.replayed(OrderCore())
        let restored = try h.restored(OrderCore())
        for (type, body) in [("order.Stats", [:] as JSON), ("order.ListOrders", ["limit": 1000]), ("order.OrdersByUser", ["user_id": "u1"])] {
            let expected = try h.query(type, body)
            #expect(try replayed.query(type, body) == expected)
            #expect(try h.query(restored, type, body) == expected)
        }
        // Orders are loaded on demand, not held: a restored core decides from what it loads.
        #expect(restored.holds("order-o1") == false)
        let page1 = try h.query("order.ListOrders", ["limit": 10])
        #expect(page1["orders"]?.arrayValue?.count == 10)
        let page2 = try h.query("order.ListOrders", ["limit": 100, "after": page1["next"]!])
        #expect(page2["orders"]?.arrayValue?.count == 21)
        #expect(page2["next"] == nil || page2["next"] == .null)
        #expect(try h.query("order.ListOrders", ["status": "confirmed"])["orders"]?.arrayValue?.count == 10)
        #expect(invalid { _ = try h.query("order.ListOrders", ["status": "lost"]) }?.field == "body.status")
    }
}
