import ArgumentParser
import SagaWire

/// `--items item1:2:10.00,item2:1:25.00`: order lines as item, quantity and unit price.
struct ItemsArgument: ExpressibleByArgument {
    /// The lines, as a saga context's `items`.
    let lines: JSON

    init?(argument: String) {
        var lines: [JSON] = []
        for entry in argument.split(separator: ",") {
            let parts = entry.split(separator: ":")
            guard parts.count == 3, let quantity = Int64(parts[1]), let cents = Self.cents(String(parts[2])) else { return nil }
            lines.append(["item_id": .string(String(parts[0])), "quantity": .int(quantity), "price_cents": .int(cents)])
        }
        guard !lines.isEmpty else { return nil }
        self.lines = .array(lines)
    }

    static let valueDescription = "ITEM:QUANTITY:PRICE,…"

    /// `10`, `10.5` or `10.50` as cents; `nil` for anything else.
    static func cents(_ text: String) -> Int64? {
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
