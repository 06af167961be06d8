import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// The five processes as real executables on free ports: sagas run across them, and every
/// invariant is checked through the services' own query APIs.
@Suite(.serialized) struct ClusterTests {
    static let stock = ["--stock", "item1:100000,item2:100000,item3:100000"]

    func endpoints(_ cluster: LocalCluster) -> ClusterEndpoints {
        ClusterEndpoints(routers: Dictionary(uniqueKeysWithValues: LocalCluster.names.map { ($0, cluster.router($0)) }),
                         pubs: Dictionary(uniqueKeysWithValues: LocalCluster.names.map { ($0, cluster.pub($0)) }))
    }

    @Test func twoHundredSagasSettleAndEveryInvariantHolds() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "payment": ["--decline-rate", "0.3"]])
        defer { cluster.destroy() }
        try cluster.start()

        let run = try cluster.sagactl(["run", "--sagas", "200", "--concurrency", "16", "--json", "--prefix", "sys"])
        #expect(run.status == 0, "sagactl run failed: \(run.stderr.suffix(5))")
        let summary = try JSONParser.parse(try #require(run.stdout.last))
        let completed = try #require(summary["completed"]?.intValue)
        let compensated = try #require(summary["compensated"]?.intValue)
        #expect(summary["sagas"] == 200)
        #expect(completed + compensated == 200)
        #expect(summary["stuck"] == 0 && summary["failed"] == 0)
        #expect(summary["latency_ms"]?["p50"]?.doubleValue ?? 0 > 0)
        // The compensated share is near the decline rate (payments are the only failure here).
        let share = Double(compensated) / 200
        #expect(share > 0.2 && share < 0.4, "compensated share \(share)")

        // Check through the services' own APIs, not the orchestrator's view.
        let client = try ClusterClient(timeoutMs: 10_000)
        let e = endpoints(cluster)
        let sagas = try client.all(e.orchestrator, "saga.ListSagas", key: "sagas")
        #expect(sagas.count == 200)
        #expect(sagas.allSatisfy { ["completed", "compensated"].contains($0["status"]?.stringValue ?? "") })
        let orders = try client.all(e.routers["order"]!, "order.ListOrders", key: "orders")
        #expect(orders.count == 200)
        let confirmed = orders.filter { $0["status"] == "confirmed" }
        #expect(Int64(confirmed.count) == completed)
        #expect(Int64(orders.filter { $0["status"] == "cancelled" }.count) == compensated)
        // Stock conserved: start stock = available + committed reservations, nothing left reserved.
        let stock = try client.query(e.routers["inventory"]!, "inventory.Stock")["items"]?.arrayValue ?? []
        #expect(stock.count == 3)
        let ordered = confirmed.flatMap { $0["items"]?.arrayValue ?? [] }
        for item in stock {
            let id = item["item_id"]?.stringValue ?? ""
            let sold = ordered.filter { $0["item_id"]?.stringValue == id }.reduce(Int64(0)) { $0 + ($1["quantity"]?.intValue ?? 0) }
            #expect(item["on_hand"] == 100_000)
            #expect(item["reserved"] == 0)
            #expect(item["committed"]?.intValue == sold)
            #expect(item["available"]?.intValue == 100_000 - sold)
        }
        // Charges minus refunds equal the totals of completed orders.
        let totals = try client.query(e.routers["payment"]!, "payment.Totals")
        let confirmedCents = confirmed.reduce(Int64(0)) { $0 + ($1["total_cents"]?.intValue ?? 0) }
        #expect(totals["net_cents"]?.intValue == confirmedCents)
        #expect(try client.query(e.routers["shipping"]!, "shipping.Stats")["by_status"]?["created"]?.intValue == completed)

        // The full checker agrees, as a real process.
        let check = try cluster.sagactl(["check", "--json"])
        #expect(check.status == 0, "check: \(check.stdout.suffix(10))")
        #expect(try JSONParser.parse(try #require(check.stdout.last))["violations"] == [])

        // SIGTERM: every process finishes its batch, closes and exits 0.
        let statuses = cluster.stop()
        for name in LocalCluster.names { #expect(statuses[name] == .exited(0), "\(name) \(statuses[name].map { "\($0)" } ?? "never ran")") }
    }

    @Test func stateIsRebuiltFromLogsAndSnapshotsAfterARestart() throws {
        let cluster = try LocalCluster(extraArguments: Dictionary(uniqueKeysWithValues: LocalCluster.names.map {
            ($0, ["--snapshot-every", "37"] + ($0 == "inventory" ? Self.stock : []))
        }))
        defer { cluster.destroy() }
        try cluster.start()
        #expect(try cluster.sagactl(["run", "--sagas", "60", "--concurrency", "8", "--prefix", "a"]).status == 0)
        let client = try ClusterClient(timeoutMs: 10_000)
        let e = endpoints(cluster)
        func figures() throws -> [JSON] {
            [try client.query(e.orchestrator, "saga.Stats"), try client.query(e.routers["order"]!, "order.Stats"),
             try client.query(e.routers["inventory"]!, "inventory.Stock"), try client.query(e.routers["payment"]!, "payment.Totals"),
             try client.query(e.routers["shipping"]!, "shipping.Stats")]
        }
        // Several lives: each restart recovers from the snapshots written by the one before,
        // including streams it only replayed.
        for life in 0..<3 {
            let before = try figures()
            #expect(cluster.stop().values.allSatisfy { $0.isClean })
            try cluster.start()
            #expect(try figures() == before, "life \(life)")
            #expect(try cluster.sagactl(["run", "--sagas", "25", "--concurrency", "4", "--prefix", "life\(life)"]).status == 0)
        }
        // Recovery used the snapshots and replayed only what came after them.
        #expect(cluster.log("order").contains("snapshots="))
        // The restarted cluster keeps serving: more sagas, and the invariants hold.
        #expect(try cluster.sagactl(["run", "--sagas", "40", "--concurrency", "8", "--prefix", "b"]).status == 0)
        #expect(try cluster.sagactl(["check"]).status == 0)
        #expect(try client.query(e.orchestrator, "saga.Stats")["total"] == 175)
    }

    @Test func badRequestsGetClearErrorsAndChangeNothing() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock])
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 5000)
        let e = endpoints(cluster)
        func refusal(_ endpoint: String, _ type: String, _ body: JSON) -> ErrorReply? {
            do {
                _ = try client.command(endpoint, type, body)
                return nil
            } catch ClientError.refused(let error) {
                return error
            } catch {
                return nil
            }
        }
        let context: JSON = ["user_id": "u1", "items": [["item_id": "item1", "quantity": 1, "price_cents": 100]]]
        #expect(refusal(e.orchestrator, "saga.StartSaga", ["type": "nope", "context": context])?.code == .unknownType)
        #expect(refusal(e.orchestrator, "saga.StartSaga", ["type": "order", "context": ["user_id": "u1"]])?.field == "body.context.items")
        #expect(refusal(e.orchestrator, "saga.StartSaga", ["type": "order", "context": [
            "user_id": "u1", "items": [["item_id": "item1", "quantity": -1, "price_cents": 100]]]])?.field == "body.context.items[0].quantity")
        #expect(refusal(e.orchestrator, "saga.Explode", [:])?.code == .unknownType)
        #expect(refusal(e.routers["order"]!, "order.CreateOrder", ["order_id": "o1"])?.field == "body.user_id")
        // Same saga id, different content: a conflict; same content: the same saga.
        let first = try client.command(e.orchestrator, "saga.StartSaga", ["type": "order", "saga_id": "dup", "context": context, "wait": true])
        #expect(first.body["status"] == "completed" || first.body["status"] == "compensated")
        let again = try client.command(e.orchestrator, "saga.StartSaga", ["type": "order", "saga_id": "dup", "context": context])
        #expect(again.body["existing"] == true)
        var other = context
        other = ["user_id": "u2", "items": context["items"]!]
        #expect(refusal(e.orchestrator, "saga.StartSaga", ["type": "order", "saga_id": "dup", "context": other])?.code == .conflict)
        // Nothing but the one saga was recorded, and the cluster still serves.
        #expect(try client.query(e.orchestrator, "saga.Stats")["total"] == 1)
        #expect(try client.query(e.routers["order"]!, "order.Stats")["total"] == 1)
        #expect(try cluster.sagactl(["ping"]).status == 0)
        // sagactl says clearly when nothing answers.
        let lonely = try ChildProcess(try Binaries.path("sagactl"), ["ping", "saga", "--timeout", "300"],
                                      environment: ["ZSAGA_ORCHESTRATOR": "tcp://127.0.0.1:1"])
        #expect(lonely.wait(seconds: 10) == 1)
        #expect(lonely.stdoutLines.joined().contains("is the cluster running?"))
    }
}
