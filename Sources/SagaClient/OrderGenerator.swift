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

/// Parses `--items item1:2:10.00,item2:1:25.00` (item, quantity, unit price) into order lines.
public enum ItemsSpec {
    public static func parse(_ text: String) throws(ClientError) -> JSON {
        var lines: [JSON] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":")
            guard parts.count == 3, let quantity = Int64(parts[1]), let cents = parseCents(String(parts[2])) else {
                throw ClientError.unexpected("invalid item \"\(entry)\": expected ITEM:QUANTITY:PRICE, e.g. item1:2:10.00")
            }
            lines.append(["item_id": .string(String(parts[0])), "quantity": .int(quantity), "price_cents": .int(cents)])
        }
        guard !lines.isEmpty else { throw ClientError.unexpected("--items needs at least one ITEM:QUANTITY:PRICE") }
        return .array(lines)
    }

    /// `10`, `10.5` or `10.50` as cents; `nil` for anything else.
    static func parseCents(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let units = Int64(parts[0]), units >= 0 else { return nil }
        var cents: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), let value = Int64(fraction) else { return nil }
            cents = fraction.count == 1 ? value * 10 : value
        }
        let (total, overflow) = units.multipliedReportingOverflow(by: 100)
        return overflow ? nil : total + cents
    }
}
