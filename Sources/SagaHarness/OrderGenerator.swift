import SagaClient
import SagaWire

/// Generates the orders of a load run: deterministic for a seed, spread over users and items.
public struct OrderGenerator: Sendable {
    /// The items orders draw from (the stocked items of the original example).
    public var items: [String]
    /// How many distinct users.
    public var users: Int
    public var seed: UInt64

    public init(items: [String] = ["item1", "item2", "item3"], users: Int = 50, seed: UInt64 = 1) {
        self.items = items
        self.users = users
        self.seed = seed
    }

    /// The context of order number `index`: 1 or 2 lines, quantity 1–3, prices 5.00–62.50.
    public func context(_ index: Int) -> JSON {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 { random.next() }
        let lineCount = 1 + Int(next() % 2)
        var chosen: [String] = []
        while chosen.count < min(lineCount, items.count) {
            let item = items[Int(next() % UInt64(items.count))]
            if !chosen.contains(item) { chosen.append(item) }
        }
        let lines: [JSON] = chosen.map { item in
            ["item_id": .string(item), "quantity": .int(Int64(1 + next() % 3)), "price_cents": .int(Int64(500 + (next() % 24) * 250))]
        }
        return ["user_id": .string("user-\(index % max(users, 1))"), "items": .array(lines)]
    }
}
