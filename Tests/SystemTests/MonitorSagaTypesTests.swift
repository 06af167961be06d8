import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// The monitor lists sagas of every type, not only order sagas: a `restock` saga type (one
/// step, `inventory.AddStock`, no order anywhere) beside the order saga. Its sagas are listed
/// with their type and status, found by id, filtered by status, and shown with their timeline;
/// order sagas keep their joined order view. All of it survives a SIGKILL of the monitor.
@Suite(.serialized) struct MonitorSagaTypesTests {
    static let definitions = """
        [{"type": "restock", "context": "any",
          "steps": [{"name": "add_stock", "service": "inventory", "action": "AddStock", "ok_events": ["StockAdded", "StockInitialized"]}]}]
        """

    @Test func theMonitorListsAndShowsSagasOfAnyType() throws {
        let cluster = try LocalCluster(monitor: true)
        defer { cluster.destroy() }
        try cluster.addDefinitions(Self.definitions)
        try cluster.start()
        let client = try cluster.client()
        let saga = cluster.router("saga"), monitor = cluster.router("monitor")
        for (id, quantity) in [("restock-good", 5), ("restock-bad", 0)] {
            _ = try client.command(saga, "saga.StartSaga", ["type": "restock", "saga_id": .string(id),
                                                             "context": ["item_id": "item1", "quantity": .int(Int64(quantity))]])
        }
        let run = try cluster.sagactl(["run", "--sagas", "3", "--prefix", "ord"])
        #expect(run.status == 0)

        func listed(_ body: JSON = [:]) throws -> [String: JSON] {
            var found: [String: JSON] = [:]
            for entry in try client.query(monitor, "monitor.ListSagas", body)["sagas"]?.arrayValue ?? [] {
                if let id = entry["saga_id"]?.stringValue { found[id] = entry }
            }
            return found
        }
        func check() throws {
            var all: [String: JSON] = [:]
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                all = try listed()
                let settled = all.values.filter { $0["saga_status"] == "completed" || $0["saga_status"] == "compensated" }
                // The order service's events reach the monitor on their own stream, possibly
                // after the saga's: wait for the order view to be joined too.
                let joined = all.values.contains { $0["type"] == "order" && $0["order_status"] != nil }
                if settled.count == 5 && joined { break }
                Thread.sleep(forTimeInterval: 0.2)
            }
            #expect(all.count == 5, "\(all.keys.sorted())")
            #expect(all["restock-good"]?["type"] == "restock" && all["restock-good"]?["saga_status"] == "completed")
            // Quantity 0 is refused (invalid_argument, permanent): the step fails, nothing to undo.
            #expect(all["restock-bad"]?["saga_status"] == "compensated")
            #expect(all["restock-bad"]?["failure"]?.stringValue?.isEmpty == false)
            #expect(all["restock-good"]?["order_status"] == nil, "a restock has no order view")
            let order = try #require(all.values.first { $0["type"] == "order" })
            #expect(order["order_status"] != nil && order["total_cents"] != nil, "an order saga keeps its order view: \(order)")
            #expect(try listed(["status": "compensated"]).keys.contains("restock-bad"))
            #expect(try listed(["status": "compensated"]).keys.contains("restock-good") == false)
            #expect(try listed(["text": "restock-g"]).keys.sorted() == ["restock-good"])
            // Inventory's events reach the monitor on their own stream, possibly after the saga's
            // settled: wait for the step's event to be in the timeline too.
            var timeline: JSON = [:]
            var events: [String] = []
            let timelineDeadline = Date().addingTimeInterval(30)
            repeat {
                timeline = try client.query(monitor, "monitor.Timeline", ["saga_id": "restock-good"])
                events = (timeline["timeline"]?.arrayValue ?? []).compactMap { $0["event"]?.stringValue }
                if events.contains("StockAdded") { break }
                Thread.sleep(forTimeInterval: 0.2)
            } while Date() < timelineDeadline
            #expect(timeline["saga"]?["type"] == "restock" && timeline["order"] == .null)
            #expect(events.contains("SagaStarted") && events.contains("StockAdded") && events.contains("SagaCompleted"), "\(events)")
        }
        try check()
        cluster.kill("monitor")
        try cluster.start("monitor")
        try check()
    }
}
