import SagaWire

/// The items inventory stocks, so that an order for an unknown item is refused before anything
/// is recorded. Learned from `inventory.Stock` (asked at start and every 10 s) and from
/// inventory's `StockInitialized` events; unknown (`nil`) until first heard.
struct ItemCatalog {
    private(set) var items: Set<String>?
    private var nextRequest: Int64 = 0
    private var requests = 0

    /// The query to send to inventory now, when one is due.
    mutating func requestIfDue(now: Int64) -> Query? {
        guard now >= nextRequest else { return nil }
        nextRequest = now + 10_000
        requests += 1
        return Query(id: "catalog-\(requests)", type: "inventory.Stock")
    }

    /// Learns the catalog from the answer to a catalog request (other results are ignored).
    mutating func learn(_ result: QueryResult) {
        guard result.inReplyTo.hasPrefix("catalog-") else { return }
        items = Set((result.body["items"]?.arrayValue ?? []).compactMap { $0["item_id"]?.stringValue })
    }

    /// Learns a newly stocked item from inventory's events.
    mutating func learn(_ event: Event) {
        guard event.metadata.service == "inventory", event.type == "StockInitialized",
              let item = event.data["item_id"]?.stringValue else { return }
        items?.insert(item)
    }

    /// Whether an item is known to be unknown (an unknown catalog refuses nothing).
    func refuses(_ item: String) -> Bool {
        items.map { !$0.contains(item) } ?? false
    }
}
