import SagaWire
import ServiceModel

/// The sagas one of the monitor's retirement batches removes, each whole: its saga row, its
/// order view and its copies of events, whichever of its two rows the batch found.
///
/// The retainer finds rows oldest first, and cuts the batch at its limit. A group commit settles
/// many sagas in the same millisecond, so the cut falls inside a run of equal times, where every
/// order view sorts before every saga row: without this, the cut took the order views of some
/// sagas and left their saga rows to the next batch, which retired those sagas a second time
/// (counted twice in `HistoryRetired`, about 10% over at 1,000 sagas/s).
struct SagaRetirement: Equatable {
    /// The sagas, in the order the batch found them (their events go by correlation id).
    private(set) var sagaIDs: [String] = []
    /// The rows to delete: each saga's row and its order view's.
    private(set) var writes: [ReadWrite] = []
    /// The order views deleted (to forget from the cache).
    private(set) var orderIDs: [String] = []

    /// The batch of `rows` (table, key and document of each row found), completed.
    init(rows: [(table: String, key: String, document: JSON)]) {
        var sagas: Set<String> = [], orders: Set<String> = []
        for row in rows {
            let sagaID = row.document["saga_id"]?.stringValue ?? (row.table == SagaRow.table.name ? row.key : nil)
            let orderID = row.document["order_id"]?.stringValue ?? (row.table == OrderView.table.name ? row.key : nil)
            if let sagaID, sagas.insert(sagaID).inserted {
                sagaIDs.append(sagaID)
                writes.append(.delete(table: SagaRow.table.name, key: sagaID))
            }
            if let orderID, orders.insert(orderID).inserted {
                orderIDs.append(orderID)
                writes.append(.delete(table: OrderView.table.name, key: orderID))
            }
        }
    }
}
