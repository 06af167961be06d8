import SagaWire

/// Keyset pagination for list queries: the rows after `after` (a key), in key order, at most
/// `limit` of them. The read side answers a page from an index (``ReadModelReader/page(_:filter:_:)``),
/// so a page costs the same at any size of history.
public struct Page: Sendable, Equatable {
    /// Most rows on the page.
    public let limit: Int
    /// The cursor: only keys greater than this one.
    public let after: String?

    /// Reads `limit` (1 to ``Limits/maxPage``, default 100) and `after` from a query body.
    public init(_ fields: Fields) throws(WireError) {
        limit = Int(try fields.optionalInt("limit", in: 1...Limits.maxPage) ?? 100)
        after = try fields.optionalString("after", maxBytes: 256)
    }

    /// A page with the given bounds.
    public init(limit: Int, after: String?) {
        precondition(limit > 0, "a page holds at least one key")
        self.limit = limit
        self.after = after
    }
}
