import SagaCore
import SagaWire

/// What a saga type's context rule checks beyond the shape of the context, and what it learns
/// from the cluster to check it: each ``ContextRule`` owns its check, so the engine knows
/// nothing of any one saga type's domain.
protocol ContextCheck: Sendable {
    /// The query to send now, and the service to send it to, when one is due.
    mutating func requestIfDue(now: Int64) -> (service: String, query: Query)?
    /// Learns from the answer to one of its queries (other results are ignored).
    mutating func learn(_ result: QueryResult)
    /// Learns from a service's event.
    mutating func learn(_ event: Event)
    /// Refuses a context it knows to be wrong, naming the field (under `body.context`).
    func check(_ context: JSON) throws(WireError)
}

/// Which check a definition's context needs: its rule, with the rule's settings. Definitions
/// that need the same check share one.
struct ContextCheckKey: Hashable {
    var rule: ContextRule
    var stockService: String?

    init(_ definition: SagaDefinition) {
        rule = definition.context
        stockService = definition.stockService
    }

    /// The check, if the rule has one beyond the context's shape.
    func makeCheck() -> (any ContextCheck)? {
        switch rule {
        case .any: return nil
        case .order: return stockService.map { OrderItemCheck(stockService: $0) }
        }
    }
}

/// The `order` rule's check: an order for an item its stock service does not stock is refused
/// before anything is recorded. The items are learned from `<stock service>.Stock` (asked at
/// start and every 10 s) and from that service's `StockInitialized` events; unknown (`nil`,
/// refusing nothing) until first heard.
struct OrderItemCheck: ContextCheck {
    /// The service that stocks an order's items (the definition's `stock_service`).
    let stockService: String
    private(set) var items: Set<String>?
    private var nextRequest: Int64 = 0
    private var requests = 0

    init(stockService: String) {
        self.stockService = stockService
    }

    mutating func requestIfDue(now: Int64) -> (service: String, query: Query)? {
        guard now >= nextRequest else { return nil }
        nextRequest = now + 10_000
        requests += 1
        return (stockService, Query(id: "catalog-\(requests)", type: "\(stockService).Stock"))
    }

    mutating func learn(_ result: QueryResult) {
        guard result.inReplyTo.hasPrefix("catalog-") else { return }
        items = Set((result.body["items"]?.arrayValue ?? []).compactMap { $0["item_id"]?.stringValue })
    }

    mutating func learn(_ event: Event) {
        guard event.metadata.service == stockService, event.type == "StockInitialized",
              let item = event.data["item_id"]?.stringValue else { return }
        items?.insert(item)
    }

    func check(_ context: JSON) throws(WireError) {
        guard let items else { return }
        for (index, line) in (context["items"]?.arrayValue ?? []).enumerated() {
            guard let item = line["item_id"]?.stringValue, !items.contains(item) else { continue }
            throw WireError(.invalidArgument, "unknown item \(item)", field: "body.context.items[\(index)].item_id")
        }
    }
}
