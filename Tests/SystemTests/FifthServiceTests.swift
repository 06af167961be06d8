import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// A fifth service, built from ServiceKit alone (`Examples/LoyaltyService`) and named only
/// in a topology file, joins a cluster secured with a derived cluster secret without a change
/// anywhere else: the orchestrator drives it in a saga type from `--definitions` (its points
/// awarded, and revoked when the payment after it is declined), it survives a SIGKILL, the
/// monitor follows it, and `sagactl events`, `query` and `ping` reach it.
@Suite(.serialized) struct FifthServiceTests {
    static let definitions = """
        [{"type": "loyal_order", "context": "order", "stock_service": "inventory",
          "steps": [
            {"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder", "ok_events": ["OrderCreated"]},
            {"name": "reserve_inventory", "service": "inventory", "action": "ReserveInventory", "compensation": "ReleaseReservation",
             "ok_events": ["InventoryReserved"], "rejected_events": ["InventoryReservationRejected"]},
            {"name": "award_points", "service": "loyalty", "action": "AwardPoints", "compensation": "RevokePoints", "ok_events": ["PointsAwarded"]},
            {"name": "process_payment", "service": "payment", "action": "ChargePayment", "compensation": "RefundPayment",
             "ok_events": ["PaymentCharged"], "rejected_events": ["PaymentDeclined"]},
            {"name": "create_shipment", "service": "shipping", "action": "CreateShipment", "compensation": "CancelShipment"}],
          "on_complete": [{"name": "confirm_order", "service": "order", "action": "ConfirmOrder"},
                          {"name": "commit_reservation", "service": "inventory", "action": "CommitReservation"}]}]
        """

    @Test func aServiceNamedOnlyInATopologyFileJoinsASecuredCluster() throws {
        let loyalty = ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-service", ports: (7601, 7602))
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100000,item2:100000,item3:100000"]], monitor: true,
                                       secret: "fifth-service-test-secret-0123456789", topology: try Topology.builtIn.adding([loyalty]))
        defer { cluster.destroy() }
        try cluster.addDefinitions(Self.definitions)
        try cluster.start()
        let client = try cluster.client()
        let e = cluster.endpoints
        #expect(try client.query(e.routers["loyalty"]!, "sys.Ping")["head"] == 0)

        // Sagas of the new type, with a SIGKILL and a restart of the new service between them.
        var sagas: [String] = []
        for batch in 0..<2 {
            for index in 0..<20 {
                let saga = "loyal-\(batch)-\(index)"
                sagas.append(saga)
                _ = try client.command(e.orchestrator, "saga.StartSaga", ["type": "loyal_order", "saga_id": .string(saga), "context": [
                    "user_id": .string("u\(index % 5)"), "items": [["item_id": "item1", "quantity": 1, "price_cents": .int(Int64(100 * (index + 1)))]],
                ]])
            }
            if batch == 0 {
                cluster.kill("loyalty")
                try cluster.start("loyalty")
            }
        }
        var outcomes: [String: JSON] = [:]
        let deadline = Date().addingTimeInterval(90)
        while outcomes.count < sagas.count && Date() < deadline {
            for saga in sagas where outcomes[saga] == nil {
                let state = try? client.query(e.orchestrator, "saga.GetSaga", ["saga_id": .string(saga)])["saga"]
                if let status = state?["status"]?.stringValue, status == "completed" || status == "compensated" { outcomes[saga] = state }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        try #require(outcomes.count == sagas.count, "sagas left unsettled: \(sagas.filter { outcomes[$0] == nil })")

        // Every completed saga's points are held; a saga compensated after its award had them revoked.
        var held: Int64 = 0
        var revoked = 0
        for saga in sagas {
            let orderID = try #require(outcomes[saga]?["context"]?["order_id"]?.stringValue)
            let award = try? client.query(e.routers["loyalty"]!, "loyalty.GetAward", ["order_id": .string(orderID)])
            if outcomes[saga]?["status"] == "completed" {
                #expect(award?["status"] == "awarded", "\(saga) completed without its points")
                held += award?["points"]?.intValue ?? 0
            } else if let award {
                #expect(award["status"] == "revoked" || award["status"] == "voided", "\(saga) compensated, its points \(award)")
                revoked += award["status"] == "revoked" ? 1 : 0
            }
        }
        #expect(held > 0 && revoked > 0, "the run should complete some sagas and compensate some after the award")
        #expect(try client.query(e.routers["loyalty"]!, "loyalty.Stats")["points_held"]?.intValue == held)

        // The monitor follows it to its head.
        let head = try #require(try client.query(e.routers["loyalty"]!, "sys.Head")["head"]?.intValue)
        var position: Int64 = -1
        for _ in 0..<100 where position != head {
            position = (try? client.query(e.monitor, "sys.Ping"))?["streams"]?["loyalty"]?["position"]?.intValue ?? -1
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(position == head, "the monitor follows loyalty")

        // sagactl reaches it by name (the topology file and the secret are its only configuration).
        let events = try cluster.sagactl(["events", "loyalty", "--limit", "3"])
        #expect(events.status == 0 && events.stdout.count == 3, "sagactl events loyalty: \(events.stderr)")
        #expect(events.stdout.first?.contains("PointsAwarded") == true || events.stdout.first?.contains("PointsVoided") == true)
        let stats = try cluster.sagactl(["query", "loyalty", "Stats"])
        #expect(stats.status == 0 && stats.stdout.joined().contains("points_held"))
        let ping = try cluster.sagactl(["ping", "loyalty"])
        #expect(ping.status == 0 && ping.stdout.first?.hasPrefix("loyalty\tup") == true)
        let topology = try cluster.sagactl(["topology"])
        #expect(topology.stdout.contains { $0.hasPrefix("loyalty\tservice\tloyalty-service\t") })
        #expect(try cluster.sagactl(["events", "nowhere"]).stderr.joined().contains("the topology has saga, order"))
    }
}
