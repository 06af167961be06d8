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
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let definitions = """
        [{"type": "order", "context": "order",
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

    @Test(.enabled(if: Self.pythonHasZMQ, "python3 with pyzmq is needed (./scripts/bootstrap.sh installs it)"))
    func aPythonParticipantSurvivesASIGKILLInTheOrderSaga() throws {
        // The cluster's executables, and the Python participant as one more (a wrapper script).
        let bin = try TempDirectory("bin")
        defer { bin.remove() }
        for name in try FileManager.default.contentsOfDirectory(atPath: Binaries.directory.path) {
            try? FileManager.default.createSymbolicLink(atPath: bin.file(name), withDestinationPath: Binaries.directory.appendingPathComponent(name).path)
        }
        let python = Self.repository.appendingPathComponent("clients/python").path
        try """
            #!/bin/sh
            PYTHONPATH=\(python) exec python3 \(python)/examples/loyalty_service.py "$@"
            """.write(toFile: bin.file("loyalty-py"), atomically: true, encoding: .utf8)
        chmod(bin.file("loyalty-py"), 0o755)

        let loyalty = ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-py", ports: (1, 2))
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100000,item2:100000,item3:100000"]],
                                       topology: try Topology.builtIn.adding([loyalty]), binDirectory: bin.url)
        defer { cluster.destroy() }
        let definitions = cluster.directory.file("definitions.json")
        try Self.definitions.write(toFile: definitions, atomically: true, encoding: .utf8)
        cluster.managed.extraArguments["saga", default: []] += ["--definitions", definitions]
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

    static let pythonHasZMQ: Bool = {
        guard let probe = try? ChildProcess("/usr/bin/env", ["python3", "-c", "import zmq"]) else { return false }
        return probe.wait(seconds: 30) == 0
    }()
}
