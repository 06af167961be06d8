import Domain
import SagaWire
import ServiceModel
import Testing

@Suite struct InventoryCoreTests {
    func harness(_ stock: [String: Int64] = ["item1": 10, "item2": 5]) throws -> Harness<InventoryCore> {
        var h = Harness(InventoryCore(initialStock: stock))
        try h.bootstrap()
        return h
    }

    func reserve(_ id: String, _ items: [(String, Int64)]) -> JSON {
        ["order_id": .string(id), "items": .array(items.map { ["item_id": .string($0.0), "quantity": .int($0.1)] })]
    }

    func stock(_ h: Harness<InventoryCore>, _ item: String) -> StockItem { h.core.items[item]! }

    @Test func startingStockIsRecordedOnceAndDefaultsToTheOriginalExample() throws {
        var h = try harness()
        #expect(h.log.map(\.type) == ["StockInitialized", "StockInitialized"])
        #expect(h.core.bootstrap(now: 0).isEmpty)
        try h.bootstrap()
        #expect(h.log.count == 2)
        #expect(InventoryCore.defaultStock == ["item1": 100, "item2": 50, "item3": 25])
    }

    @Test func reserveCommitAndReleaseMoveStock() throws {
        var h = try harness()
        #expect(try h.send("inventory.ReserveInventory", reserve("o1", [("item1", 4), ("item2", 1)])).outcome == .ok)
        #expect(stock(h, "item1").available == 6 && stock(h, "item1").reserved == 4)
        #expect(try h.send("inventory.CommitReservation", ["order_id": "o1"]).outcome == .ok)
        #expect(stock(h, "item1").committed == 4 && stock(h, "item1").reserved == 0)
        #expect(try h.send("inventory.ReleaseReservation", ["order_id": "o1"]).reason == "already_committed")
        try h.send("inventory.ReserveInventory", reserve("o2", [("item1", 3)]))
        #expect(try h.send("inventory.ReleaseReservation", ["order_id": "o2"]).outcome == .ok)
        #expect(try h.send("inventory.ReleaseReservation", ["order_id": "o2"]).appends.isEmpty)
        #expect(stock(h, "item1").available == 6)
        #expect(try h.send("inventory.CommitReservation", ["order_id": "o2"]).reason == "not_reserved")
    }

    /// Retention counts a retired reservation's events on a fold of their own: it gives the
    /// counts they made when first applied, although the stock they were checked against has
    /// long moved (here, none of it is left: the live state refuses to fold them again).
    @Test func aRetiredReservationFoldsOnItsOwnWhateverTheStockNow() throws {
        var h = try harness(["item1": 4])
        try h.send("inventory.ReserveInventory", reserve("o1", [("item1", 4)]))
        try h.send("inventory.CommitReservation", ["order_id": "o1"])
        #expect(stock(h, "item1").available == 0)
        let events = h.log.filter { $0.stream == "reservation-o1" }
        func counts(_ fold: inout InventoryCore) throws -> [String: Int64] {
            fold.forget("reservation-o1")
            try fold.load("reservation-o1", events: [])
            var counts: [String: Int64] = [:]
            for event in events {
                for case .count(let name, let delta, _) in try fold.apply(event) { counts[name, default: 0] += delta }
            }
            return counts.filter { $0.value != 0 }
        }
        var live = h.core
        #expect(throws: DomainError.self, "the live stock has nothing left to reserve") { try counts(&live) }
        var fold = h.core.retirementFold
        #expect(try counts(&fold) == ["stock.committed.item1": 4, "reservations.total": 1, "reservations.status.committed": 1])
        #expect(stock(h, "item1").committed == 4, "the live state is untouched")
    }

    @Test func insufficientStockAndUnknownItemsAreBusinessRejections() throws {
        var h = try harness()
        let short = try h.send("inventory.ReserveInventory", reserve("o1", [("item1", 2), ("item2", 6)]))
        #expect(short.outcome == .rejected && short.reason == "insufficient_stock")
        #expect(h.log.last?.type == "InventoryReservationRejected")
        #expect(stock(h, "item1").available == 10)
        let unknown = try h.send("inventory.ReserveInventory", reserve("o2", [("item9", 1)]))
        #expect(unknown.reason == "unknown_item")
        // Releasing a rejected reservation is a no-op.
        #expect(try h.send("inventory.ReleaseReservation", ["order_id": "o1"]).appends.isEmpty)
        #expect(try h.send("inventory.ReserveInventory", reserve("o1", [("item1", 1)])).reason == "reservation_exists")
    }

    @Test func releaseBeforeReserveFencesTheLateReservation() throws {
        var h = try harness()
        #expect(try h.send("inventory.ReleaseReservation", ["order_id": "o1"]).outcome == .ok)
        #expect(h.log.last?.type == "ReservationVoided")
        let late = try h.send("inventory.ReserveInventory", reserve("o1", [("item1", 1)]))
        #expect(late.reason == "aborted")
        #expect(stock(h, "item1").available == 10)
    }

    @Test func addStockAndBounds() throws {
        var h = try harness()
        try h.send("inventory.AddStock", ["item_id": "item1", "quantity": 5])
        try h.send("inventory.AddStock", ["item_id": "item7", "quantity": 2])
        #expect(stock(h, "item1").onHand == 15)
        #expect(stock(h, "item7").available == 2)
        #expect(invalid { try h.send("inventory.AddStock", ["item_id": "item1", "quantity": 0]) }?.field == "body.quantity")
        #expect(invalid { try h.send("inventory.AddStock", ["item_id": "item1", "quantity": 1_000_000_000]) }?.field == "body.quantity")
        #expect(invalid { try h.send("inventory.ReserveInventory", reserve("o1", [("item1", -1)])) }?.field == "body.items[0].quantity")
    }

    /// Random reservations, commits and releases never break conservation, and replay and
    /// snapshots rebuild exactly the same stock.
    @Test func stockIsConservedUnderRandomTraffic() throws {
        var h = try harness(["item1": 50, "item2": 30, "item3": 10])
        var rng = SystemRandomNumberGenerator()
        for i in 0..<400 {
            let id = "o\(Int.random(in: 0..<120, using: &rng))"
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1:
                let item = ["item1", "item2", "item3"].randomElement(using: &rng)!
                try h.send("inventory.ReserveInventory", reserve(id, [(item, Int64.random(in: 1...4, using: &rng))]), id: "c\(i)")
            case 2: try h.send("inventory.CommitReservation", ["order_id": .string(id)], id: "c\(i)")
            default: try h.send("inventory.ReleaseReservation", ["order_id": .string(id)], id: "c\(i)")
            }
            for item in h.core.items.values {
                #expect(item.available >= 0)
                #expect(item.onHand == item.available + item.reserved + item.committed)
            }
        }
        // What the read side lists agrees with the stock the working set holds.
        let listed = try h.query("inventory.ListReservations", ["limit": 1000])["reservations"]?.arrayValue ?? []
        for item in ["item1", "item2", "item3"] {
            func units(_ status: String) -> Int64 {
                listed.filter { $0["status"]?.stringValue == status }.flatMap { $0["items"]?.arrayValue ?? [] }
                    .filter { $0["item_id"]?.stringValue == item }.reduce(0) { $0 + ($1["quantity"]?.intValue ?? 0) }
            }
            #expect(stock(h, item).reserved == units("reserved"))
            #expect(stock(h, item).committed == units("committed"))
        }
        #expect(h.core.active.count == listed.filter { $0["status"] == "reserved" }.count)
        let replayed = try h.replayed(InventoryCore(initialStock: [:]))
        let restored = try h.restored(InventoryCore(initialStock: [:]))
        #expect(replayed.core.items == h.core.items)
        #expect(replayed.core.active == h.core.active)
        #expect(restored.items == h.core.items)
        #expect(restored.active == h.core.active)
        for type in ["inventory.Stats", "inventory.Stock"] { #expect(try replayed.query(type) == h.query(type)) }
        #expect(try replayed.query("inventory.ListReservations", ["limit": 1000]) == h.query("inventory.ListReservations", ["limit": 1000]))
    }

    @Test func stockSpecParsing() throws {
        #expect(try StockSpec.parse("item1:100,item2:50") == ["item1": 100, "item2": 50])
        #expect(throws: StockSpecError.self) { try StockSpec.parse("item1:-1") }
        #expect(throws: StockSpecError.self) { try StockSpec.parse("item1:1,item1:2") }
        #expect(throws: StockSpecError.self) { try StockSpec.parse("item1") }
        #expect(throws: StockSpecError.self) { try StockSpec.parse("bad item:3") }
    }
}
