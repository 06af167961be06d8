import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// A participant written in Python (clients/python/examples/loyalty_service.py, on the
/// `zsaga.Participant` base class) runs a step of the order saga among the Swift services: the
/// definitions file gives the order saga an `award_points` step before the payment. It is
/// SIGKILLed mid-run and restarted; every saga settles, the log check finds no violation, and
/// every completed saga's points are held while a saga compensated after its award had them
/// revoked.
@Suite(.serialized) struct PythonParticipantTests {
    static let definitions = """
        [{"type": "order", "context": "order", "stock_service": "inventory",
          "steps": [
            {"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder", "ok_events": ["OrderCreated"]},
            {"name": "reserve_inventory", "service": "inventory", "action": "ReserveInventory", "compensation": "ReleaseReservation",
             "ok_events": ["InventoryReserved"], "rejected_events": ["InventoryReservationRejected"]},
            {"name": "award_points", "service": "loyalty", "action": "AwardPoints", "compensation": "RevokePoints",
             "ok_events": ["PointsAwarded"], "compensation_ok_events": ["PointsRevoked", "StepFenced"]},
            {"name": "process_payment", "service": "payment", "action": "ChargePayment", "compensation": "RefundPayment",
             "ok_events": ["PaymentCharged"], "rejected_events": ["PaymentDeclined"]},
            {"name": "create_shipment", "service": "shipping", "action": "CreateShipment", "compensation": "CancelShipment",
             "ok_events": ["ShipmentCreated"]}],
          "on_complete": [{"name": "confirm_order", "service": "order", "action": "ConfirmOrder"},
                          {"name": "commit_reservation", "service": "inventory", "action": "CommitReservation"}]}]
        """

    @Test(.enabled(if: PythonProcesses.available, "python3 with pyzmq is needed (./scripts/bootstrap.sh installs it)"))
    func aPythonParticipantSurvivesASIGKILLInTheOrderSaga() throws {
        // The cluster's executables, and the Python participant as one more (a wrapper script).
        let bin = try PythonProcesses.binDirectory(scripts: ["loyalty-py": "examples/loyalty_service.py"])
        defer { bin.remove() }
        let loyalty = ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-py", ports: (1, 2))
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100000,item2:100000,item3:100000"]],
                                       topology: try Topology.builtIn.adding([loyalty]), binDirectory: bin.url)
        defer { cluster.destroy() }
        try cluster.addDefinitions(Self.definitions)
        try cluster.start()
        let client = try cluster.client()

        let load = try ChildProcess(try Binaries.path("sagactl"), ["run", "--sagas", "200", "--concurrency", "8", "--prefix", "py", "--json"],
                                    environment: cluster.clientEnvironment)
        let deadline = Date().addingTimeInterval(60)
        while (try? client.query(cluster.router("saga"), "saga.Stats"))?["total"]?.intValue ?? 0 < 60 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        cluster.kill("loyalty")
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.start("loyalty")
        #expect(load.wait(seconds: 180) == 0, "sagactl run: \(load.stderrLines.suffix(5))")

        let check = try cluster.sagactl(["check", "--json"])
        #expect(check.status == 0, "sagactl check: \(check.stdout.suffix(8))")
        let report = try JSONParser.parse(try #require(check.stdout.last))
        #expect(report["violations"]?.arrayValue?.isEmpty == true)
        // The Python participant's log and command records were checked like a built-in
        // service's: gap-free, each command in effect once, every claim about it confirmed.
        #expect(report["figures"]?["participants"] == ["loyalty"], "\(report["figures"] ?? .null)")
        #expect(report["figures"]?["unchecked_logs"] == [] && report["figures"]?["unchecked_commands"] == [])
        #expect((report["figures"]?["logs"]?["loyalty"]?["events"]?.intValue ?? 0) > 0)

        var held: Int64 = 0, revoked = 0, completed = 0
        for saga in try client.all(cluster.router("saga"), "saga.ListSagas", key: "sagas") {
            // The generated orders take their saga's id as their order id.
            let orderID = try #require(saga["saga_id"]?.stringValue)
            let award = try client.query(cluster.router("loyalty"), "loyalty.GetAward", ["order_id": .string(orderID)])
            if saga["status"] == "completed" {
                completed += 1
                #expect(award["status"] == "awarded", "completed \(orderID) without its points: \(award)")
                held += award["points"]?.intValue ?? 0
            } else if award["status"] == "revoked" {
                revoked += 1
            } else {
                #expect(award["status"] == "none", "compensated \(orderID) kept its points: \(award)")
            }
        }
        #expect(completed > 0 && revoked > 0, "completed \(completed), revoked \(revoked)")
        #expect(try client.query(cluster.router("loyalty"), "loyalty.Stats")["points_held"]?.intValue == held)
    }
}
