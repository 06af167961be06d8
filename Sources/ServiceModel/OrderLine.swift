import SagaWire

/// One line of an order: an item, how many, and the unit price in cents.
public struct OrderLine: Sendable, Equatable, Hashable {
    public var itemID: String
    public var quantity: Int64
    /// Unit price in cents; `nil` where only quantities matter (inventory).
    public var priceCents: Int64?

    public init(itemID: String, quantity: Int64, priceCents: Int64? = nil) {
        self.itemID = itemID
        self.quantity = quantity
        self.priceCents = priceCents
    }

    /// The line as JSON: `{"item_id", "quantity", "price_cents"?}`.
    public var json: JSON {
        // Members in key order (item_id, price_cents, quantity): the canonical form.
        guard let priceCents else { return ["item_id": .string(itemID), "quantity": .int(quantity)] }
        return ["item_id": .string(itemID), "price_cents": .int(priceCents), "quantity": .int(quantity)]
    }

    /// Reads and bounds-checks `items` of `fields`: 1 to ``Limits/maxItems`` lines, each item
    /// once, quantities and (when `requirePrice`) prices within ``Limits``.
    public static func parse(_ fields: Fields, key: String = "items", requirePrice: Bool) throws(WireError) -> [OrderLine] {
        var lines: [OrderLine] = []
        var seen: Set<String> = []
        for item in try fields.objects(key, minCount: 1, maxCount: Limits.maxItems) {
            let id = try item.identifier("item_id", maxBytes: 64)
            guard seen.insert(id).inserted else {
                throw WireError(.invalidArgument, "item \(id) appears more than once", field: item.path(of: "item_id"))
            }
            let quantity = try item.int("quantity", in: Limits.quantity)
            let price = requirePrice ? try item.int("price_cents", in: Limits.priceCents)
                                     : try item.optionalInt("price_cents", in: Limits.priceCents)
            lines.append(OrderLine(itemID: id, quantity: quantity, priceCents: price))
        }
        return lines
    }

    /// Reads lines back from recorded data (already validated when recorded).
    package static func decode(_ json: JSON?) throws(DomainError) -> [OrderLine] {
        guard let elements = json?.arrayValue else { throw DomainError("items missing") }
        var lines: [OrderLine] = []
        for element in elements {
            guard let id = element["item_id"]?.stringValue, let quantity = element["quantity"]?.intValue else {
                throw DomainError("invalid item line \(element)")
            }
            lines.append(OrderLine(itemID: id, quantity: quantity, priceCents: element["price_cents"]?.intValue))
        }
        return lines
    }

    /// The order total in cents: the sum of quantity times unit price.
    public static func total(_ lines: [OrderLine]) -> Int64 {
        lines.reduce(0) { $0 + $1.quantity * ($1.priceCents ?? 0) }
    }
}
