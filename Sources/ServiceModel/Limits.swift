/// The bounds every ZSaga process applies to business values. Anything outside them is refused
/// with `invalid_argument` naming the field, before anything is recorded.
public enum Limits {
    /// Most lines (items) in one order.
    public static let maxItems = 100
    /// Quantity of one line: 1 to 10,000.
    public static let quantity: ClosedRange<Int64> = 1...10_000
    /// Unit price in cents: 1 cent to 1,000,000.00.
    public static let priceCents: ClosedRange<Int64> = 1...100_000_000
    /// A payment amount in cents: up to the largest possible order total.
    public static let amountCents: ClosedRange<Int64> = 1...(Int64(maxItems) * 10_000 * 100_000_000)
    /// Longest id (order, user, item, saga), in bytes.
    public static let idBytes = 128
    /// Stock of one item: 0 to 1,000,000,000.
    public static let stock: ClosedRange<Int64> = 0...1_000_000_000
    /// Most entries a list query returns.
    public static let maxPage: Int64 = 1000
}
