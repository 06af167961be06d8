import Foundation
import SagaWire
import ServiceModel

/// Parses a starting-stock specification such as `item1:100,item2:50`.
public enum StockSpec {
    /// The stock per item, or an error naming the bad entry.
    public static func parse(_ text: String) throws(StockSpecError) -> [String: Int64] {
        var stock: [String: Int64] = [:]
        for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, let quantity = Int64(parts[1].trimmingCharacters(in: .whitespaces)),
                  Limits.stock.contains(quantity) else {
                throw StockSpecError(entry: String(entry))
            }
            let item = parts[0].trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty, item.utf8.count <= 64, Fields.isIdentifier(item) else { throw StockSpecError(entry: String(entry)) }
            guard stock.updateValue(quantity, forKey: item) == nil else { throw StockSpecError(entry: String(entry)) }
        }
        return stock
    }
}

/// A bad entry in a stock specification.
public struct StockSpecError: Error, CustomStringConvertible {
    public let entry: String
    public var description: String {
        "invalid stock entry \"\(entry)\": expected ITEM:QUANTITY with a unique item id and 0 ≤ quantity ≤ \(Limits.stock.upperBound)"
    }
}
