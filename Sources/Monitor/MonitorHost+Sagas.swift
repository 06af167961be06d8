import EventLog
import SagaWire
import ServiceModel

extension MonitorHost {
    /// `monitor.ListSagas`: sagas of every type, newest first, from the read side's `sagas`
    /// table (an index on (status,) start time); a `text` narrows to saga ids and users that
    /// start with it. A saga whose context names an order is joined with its order view.
    func listSagas(_ body: Fields, limit: Int) throws(WireError) -> JSON {
        let status = try body.optionalString("status", maxBytes: 32)
        let text = try body.optionalString("text", maxBytes: 128) ?? ""
        let filter: [String: ReadValue] = status.map { ["saga_status": .text($0)] } ?? [:]
        let table = SagaRow.table.name
        let query = text.isEmpty
            ? ReadQuery(table: table, filter: filter, order: "saga_started_ms", descending: true, limit: limit)
            : ReadQuery(table: table, filter: filter, limit: limit, search: (["id", "user_id"], text))
        var sagas: [JSON] = []
        for row in try log.rows(query) {
            var entry = try row.document["order_id"]?.stringValue.flatMap { id throws(WireError) in
                try log.document(OrderView.table.name, key: id)?.objectValue
            } ?? [:]
            for (key, value) in row.document.objectValue ?? [:] { entry[key] = value }
            sagas.append(.object(entry))
        }
        let counters = try log.counters(prefix: "monitor.sagas.")
        let count = text.isEmpty ? counters["monitor.sagas.\(status ?? "total")", default: Int64(sagas.count)] : Int64(sagas.count)
        return ["count": .int(count), "sagas": .array(sagas)]
    }
}
