import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// Processes die at each crash point; after a restart every saga still ends correctly and no
/// effect is applied twice.
@Suite(.serialized) struct RecoveryTests {
    static let stock = ["--stock", "item1:100000,item2:100000,item3:100000"]
    let context: JSON = ["user_id": "u1", "items": [["item_id": "item1", "quantity": 1, "price_cents": 500]]]

    /// Waits until `body` is true, restarting any process that died (an injected crash).
    func eventually(_ cluster: LocalCluster, seconds: Double = 60, _ body: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? body()) == true { return true }
            try cluster.managed.restartDead()
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func settled(_ client: ClusterClient, _ cluster: LocalCluster, _ saga: String) -> String? {
        let status = (try? client.query(cluster.router("saga"), "saga.GetSaga", ["saga_id": .string(saga)]))?["saga"]?["status"]?.stringValue
        return status == "completed" || status == "compensated" ? status : nil
    }

    @Test(arguments: ["payment", "order", "shipping", "inventory"], ["before-commit", "after-commit"])
    func aServiceCrashingAtACrashPointLosesNothingAndAppliesNothingTwice(_ service: String, _ point: String) throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "payment": ["--decline-rate", "0"]])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 3000)
        // The next batch with a command crashes the service at the point.
        _ = try client.command(cluster.router(service), "sys.SetFault", ["spec": .string("crash=\(point):1")])
        _ = try client.command(cluster.router("saga"), "saga.StartSaga", ["type": "order", "saga_id": "crash-1", "context": context])
        #expect(try eventually(cluster) { !cluster.isRunning(service) }, "\(service) did not crash")
        #expect(cluster.log(service).contains("injected crash at \(point)"))
        // Restarted without the fault, it recovers from its log; the orchestrator's retry (same
        // command id) is applied once, or answered with the recorded reply.
        #expect(try eventually(cluster) { settled(client, cluster, "crash-1") == "completed" })
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.violations == [])
        // Before the commit nothing survived, so only a retry can finish the step. After it, the
        // outcome is in the service's log: the retry's recorded reply or the orchestrator's stream
        // catching up on the restarted service (whichever comes first) may carry it.
        if point == "before-commit" {
            let timeline = try client.query(cluster.router("saga"), "saga.GetSaga", ["saga_id": "crash-1"])["timeline"]?.arrayValue ?? []
            #expect(timeline.contains { $0["event"] == "StepRetrying" }, "the orchestrator never had to retry")
        }
    }

    @Test(arguments: ["after-log", "before-commit"])
    func theOrchestratorCrashingAtACrashPointResumesEverySaga(_ point: String) throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 2000)
        #expect(try cluster.sagactl(["run", "--sagas", "10", "--prefix", "warm"]).status == 0)
        _ = try client.command(cluster.router("saga"), "sys.SetFault", ["spec": .string("crash=\(point):1")])
        let sagas = (0..<5).map { "oc-\($0)" }
        for saga in sagas {
            _ = try? client.command(cluster.router("saga"), "saga.StartSaga", ["type": "order", "saga_id": .string(saga), "context": context],
                                    timeoutMs: 300)
        }
        #expect(try eventually(cluster) { cluster.log("saga").contains("injected crash") })
        // After the restart, a client re-sending its starts (idempotent by saga id) sees every saga settle.
        #expect(try eventually(cluster) {
            for saga in sagas where settled(client, cluster, saga) == nil {
                _ = try? client.command(cluster.router("saga"), "saga.StartSaga",
                                        ["type": "order", "saga_id": .string(saga), "context": context], timeoutMs: 500)
            }
            return sagas.allSatisfy { settled(client, cluster, $0) != nil }
        })
        #expect(try Checker(client: client, endpoints: cluster.endpoints).run().violations == [])
    }

    @Test func theOrchestratorCatchesUpOnEventsPublishedWhileItWasDead() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 3000)
        #expect(try cluster.sagactl(["run", "--sagas", "20", "--prefix", "before"]).status == 0)
        cluster.kill("saga")
        // Events the orchestrator cannot hear: published while it is dead.
        for index in 0..<30 {
            _ = try client.command(cluster.router("inventory"), "inventory.AddStock", ["item_id": .string("extra\(index % 3)"), "quantity": 5])
        }
        let head = try client.query(cluster.router("inventory"), "sys.Head")["head"]?.intValue ?? 0
        try cluster.start("saga")
        try cluster.waitUntilUp()
        // It replays the missed events from inventory's log and saves its new position.
        #expect(try eventually(cluster, seconds: 20) {
            let streams = try client.query(cluster.router("saga"), "sys.Ping")["streams"]
            return streams?["inventory"]?["position"]?.intValue == head
        })
        let streams = try client.query(cluster.router("saga"), "sys.Ping")["streams"]
        #expect(streams?["inventory"]?["replayed"]?.intValue ?? 0 >= 30)
        #expect(try cluster.sagactl(["run", "--sagas", "20", "--prefix", "after"]).status == 0)
        #expect(try cluster.sagactl(["check"]).status == 0)
    }

    @Test func theCheckerFindsEffectsThatBreakTheInvariants() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "payment": ["--decline-rate", "0"]])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 3000)
        #expect(try cluster.sagactl(["run", "--sagas", "10", "--prefix", "t"]).status == 0)
        #expect(try cluster.sagactl(["check"]).status == 0)
        // Someone refunds a completed saga's payment behind the orchestrator's back.
        _ = try client.command(cluster.router("payment"), "payment.RefundPayment", ["order_id": "t-3"])
        let check = try cluster.sagactl(["check", "--json"])
        #expect(check.status == 1)
        let report = try JSONParser.parse(try #require(check.stdout.last))
        let checks = Set((report["violations"]?.arrayValue ?? []).compactMap { $0["check"]?.stringValue })
        #expect(checks.contains("completed_payment"))
        #expect(checks.contains("money"))
    }

    @Test func aStuckSagaWaitsForTheOperatorAndResumes() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "payment": ["--decline-rate", "1"]])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 3000)
        // Every compensation of the order step is refused: the saga cannot finish on its own.
        _ = try client.command(cluster.router("order"), "sys.SetFault", ["spec": "fail=order.CancelOrder:1"])
        let reply = try client.command(cluster.router("saga"), "saga.StartSaga",
                                       ["type": "order", "saga_id": "stuck-1", "context": context, "wait": true], timeoutMs: 30_000)
        #expect(reply.body["status"] == "stuck")
        #expect(reply.body["stuck_reason"]?.stringValue?.contains("injected_failure") == true)
        let list = try cluster.sagactl(["list", "--state", "stuck"])
        #expect(list.stdout.contains { $0.hasPrefix("stuck-1\tstuck") })
        #expect(try cluster.sagactl(["check"]).status == 1)
        // The operator fixes the cause and retries: a new round of commands compensates it.
        #expect(try cluster.sagactl(["fault", "order", "clear"]).status == 0)
        let retry = try cluster.sagactl(["retry", "stuck-1"])
        #expect(retry.status == 0, "\(retry.stdout) \(retry.stderr)")
        #expect(try eventually(cluster) { settled(client, cluster, "stuck-1") == "compensated" })
        #expect(try cluster.sagactl(["check"]).status == 0)
    }

    /// The orchestrator sends a step's successor ahead of its log and dies before the commit.
    /// Restarted while the succeeded step's service is down, it sees that step run out of
    /// attempts: the action that went ahead (a real stock reservation) must be compensated too.
    @Test func anActionSentAheadOfTheLogIsCompensatedWhenItsPredecessorFailsAfterARestart() throws {
        let definitions = try TempDirectory("definitions")
        defer { definitions.remove() }
        // The order saga with short attempts, so that a dead service exhausts them quickly.
        let file = definitions.url.appendingPathComponent("sagas.json")
        try Data("""
            [{"type": "order", "context": "order",
              "retry": {"timeout_ms": 300, "max_attempts": 3, "backoff_ms": 20, "max_backoff_ms": 50},
              "compensation_retry": {"timeout_ms": 300, "max_attempts": 300, "backoff_ms": 50, "max_backoff_ms": 200},
              "steps": [
                {"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder",
                 "ok_events": ["OrderCreated"]},
                {"name": "reserve_inventory", "service": "inventory", "action": "ReserveInventory",
                 "compensation": "ReleaseReservation", "ok_events": ["InventoryReserved"],
                 "rejected_events": ["InventoryReservationRejected"]},
                {"name": "process_payment", "service": "payment", "action": "ChargePayment", "compensation": "RefundPayment",
                 "ok_events": ["PaymentCharged"], "rejected_events": ["PaymentDeclined"]},
                {"name": "create_shipment", "service": "shipping", "action": "CreateShipment",
                 "compensation": "CancelShipment", "ok_events": ["ShipmentCreated"]}],
              "on_complete": [
                {"name": "confirm_order", "service": "order", "action": "ConfirmOrder"},
                {"name": "commit_reservation", "service": "inventory", "action": "CommitReservation"}]}]
            """.utf8).write(to: file)
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "saga": ["--definitions", file.path]])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 3000)
        #expect(try cluster.sagactl(["run", "--sagas", "3", "--prefix", "warm"]).status == 0)
        _ = try client.command(cluster.router("saga"), "sys.SetFault", ["spec": "crash=after-send-ahead:1"])
        _ = try? client.command(cluster.router("saga"), "saga.StartSaga", ["type": "order", "saga_id": "ahead-1", "context": context],
                                timeoutMs: 300)
        let deadline = Date().addingTimeInterval(30)
        while cluster.isRunning("saga") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(cluster.log("saga").contains("injected crash at after-send-ahead"))
        // The reservation went ahead of the orchestrator's log, whose last word is "create_order pending".
        let reservation = try client.query(cluster.router("inventory"), "inventory.GetReservation", ["order_id": "ahead-1"])
        #expect(reservation["reservation"]?["status"] == "reserved")
        // create_order can now never be confirmed: its service is dead while the orchestrator retries.
        cluster.kill("order")
        try cluster.start("saga")
        var released = false
        let until = Date().addingTimeInterval(30)
        while !released && Date() < until {  // no restarts here: order must stay dead
            let status = try? client.query(cluster.router("inventory"), "inventory.GetReservation", ["order_id": "ahead-1"])
            released = status?["reservation"]?["status"] == "released"
            if !released { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(released, "the reservation made ahead of the log was never released")
        #expect(!cluster.isRunning("order"))
        let failed = try client.query(cluster.router("saga"), "saga.GetSaga", ["saga_id": "ahead-1"])
        #expect(failed["saga"]?["status"] == "compensating")
        try cluster.start("order")
        #expect(try eventually(cluster) { settled(client, cluster, "ahead-1") == "compensated" })
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.violations == [])
    }
}
