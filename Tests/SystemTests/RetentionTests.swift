import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// Retention on real processes: settled sagas leave every log, an old command is `expired`,
/// restarts keep what remains, and the invariants stay checkable.
@Suite(.serialized) struct RetentionTests {
    /// An answer's figures without `as_of_seq`, the log position it reflects (retention's own
    /// `HistoryRetired` events move it, not the figures).
    static func figures(_ answer: JSON) -> JSON {
        guard var members = answer.objectValue else { return answer }
        _ = members.removeValue(forKey: "as_of_seq")
        return .object(members)
    }

    static let stock = ["--stock", "item1:100000,item2:100000,item3:100000"]

    func cluster(retention: String, archive: TempDirectory? = nil) throws -> LocalCluster {
        var arguments: [String: [String]] = [:]
        for name in LocalCluster.names + ["monitor"] {
            arguments[name] = ["--retention", retention] + (name == "inventory" ? Self.stock : [])
            if let archive { arguments[name]! += ["--archive-dir", archive.file(name)] }
        }
        return try LocalCluster(extraArguments: arguments, monitor: true)
    }

    func waitFor(_ seconds: Double, _ body: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try body() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try body()
    }

    @Test func settledSagasLeaveEveryLogAndAnOldCommandIsExpired() throws {
        let archive = try TempDirectory("archive")
        defer { archive.remove() }
        let cluster = try cluster(retention: "4s", archive: archive)
        defer { cluster.destroy() }
        try cluster.start()
        #expect(try cluster.sagactl(["run", "--sagas", "40", "--concurrency", "8", "--prefix", "old"]).status == 0)
        let client = try ClusterClient(timeoutMs: 5000)
        // A charge as the orchestrator sent it: its body is the saga's context, its id and its start.
        let charged = try client.all(cluster.router("payment"), "payment.ListPayments", key: "payments", ["status": "charged"])
        let orderID = try #require(charged.first?["order_id"]?.stringValue)
        let saga = try client.query(cluster.router("saga"), "saga.GetSaga", ["saga_id": .string(orderID)])["saga"] ?? [:]
        var body = saga["context"]?.objectValue ?? [:]
        body["saga_id"] = .string(orderID)
        body["saga_started_ms"] = saga["started_ms"] ?? .null
        let charge = Command(id: "\(orderID)/2/action", type: "payment.ChargePayment", correlationID: orderID, body: .object(body))
        func send() throws -> WireMessage { try client.request(cluster.router("payment"), .command(charge), id: charge.id) }
        // Within the window it is a duplicate: the recorded reply, nothing new.
        let totals = try client.query(cluster.router("payment"), "payment.Totals")
        guard case .reply(let recorded) = try send() else { Issue.record("no recorded reply"); return }
        #expect(recorded.outcome == .ok)
        #expect(try Self.figures(client.query(cluster.router("payment"), "payment.Totals")) == Self.figures(totals))

        // The window passes: the sagas leave every process, their commands' records too.
        #expect(try waitFor(30) {
            try client.all(cluster.router("saga"), "saga.ListSagas", key: "sagas").isEmpty
                && client.all(cluster.router("payment"), "payment.ListPayments", key: "payments").isEmpty
                && client.all(cluster.router("order"), "order.ListOrders", key: "orders").isEmpty
                && client.all(cluster.router("inventory"), "inventory.ListReservations", key: "reservations").isEmpty
                && client.all(cluster.router("shipping"), "shipping.ListShipments", key: "shipments").isEmpty
        }, "the settled sagas were not retired")
        #expect(try waitFor(15) { try client.query(cluster.router("monitor"), "monitor.Search", ["text": "old"])["count"] == 0 })
        // Each saga was retired once, in the monitor as in the orchestrator.
        let retiredSagas = try client.query(cluster.router("saga"), "sys.Ping")["retention"]?["retired"]?["streams"]
        #expect(retiredSagas == 40)
        #expect(try client.query(cluster.router("monitor"), "sys.Ping")["retention"]?["retired"]?["streams"] == retiredSagas)
        // Re-sent now, the old charge is refused `expired` and changes nothing.
        let answer = try send()
        guard case .error(let refusal) = answer else { Issue.record("not refused: \(answer)"); return }
        #expect(refusal.code == .expired, "\(refusal)")
        #expect(try Self.figures(client.query(cluster.router("payment"), "payment.Totals")) == Self.figures(totals))
        #expect(try client.query(cluster.router("payment"), "payment.PaymentsByOrder", ["order_id": .string(orderID)])["payments"] == [])
        // The running totals survive: the stats still count every saga, and the check is clean.
        #expect(try client.query(cluster.router("saga"), "saga.Stats")["total"] == 40)
        let ping = try client.query(cluster.router("payment"), "sys.Ping")
        #expect(ping["retention"]?["retired"]?["totals"]?["payments.charged_cents"] == totals["charged_cents"])
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.violations == [])
        // Every log, with its archive, is gap-free.
        #expect(cluster.stop().values.allSatisfy { $0.isClean })
        for name in LocalCluster.names + ["monitor"] {
            let file = name == "saga" ? "saga" : name
            let verify = try ChildProcess(try Binaries.path("zsaga-log"), [
                "verify", cluster.directory.file("data/\(name)/\(file).sqlite"), "--archive", archive.file(name),
            ])
            #expect(verify.wait(seconds: 60) == 0, "\(name): \(verify.stdoutLines.joined(separator: "\n"))")
            #expect(verify.stdoutLines.contains { $0.contains("archived=") && !$0.contains("archived=0 ") }, "\(name): \(verify.stdoutLines)")
        }
    }

    @Test func aRestartAfterRetentionKeepsWhatRemainsAndTheCheckIsClean() throws {
        let cluster = try cluster(retention: "3s")
        defer { cluster.destroy() }
        try cluster.start()
        let client = try ClusterClient(timeoutMs: 5000)
        #expect(try cluster.sagactl(["run", "--sagas", "30", "--concurrency", "6", "--prefix", "early"]).status == 0)
        #expect(try waitFor(30) { try client.all(cluster.router("saga"), "saga.ListSagas", key: "sagas").isEmpty })
        #expect(try cluster.sagactl(["run", "--sagas", "20", "--concurrency", "4", "--prefix", "late"]).status == 0)
        func figures() throws -> [JSON] {
            try ["saga": "saga.Stats", "order": "order.Stats", "inventory": "inventory.Stock", "payment": "payment.Totals",
                 "shipping": "shipping.Stats"].sorted { $0.key < $1.key }.map { try Self.figures(client.query(cluster.router($0.key), $0.value)) }
        }
        let before = try figures()
        for name in LocalCluster.names + ["monitor"] { cluster.kill(name) }
        try cluster.start()
        let after = try figures()
        #expect(after == before, "before: \(before.map { "\($0)" }.joined(separator: "\n"))\nafter: \(after.map { "\($0)" }.joined(separator: "\n"))")
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.violations == [], "\(check.violations)")
        #expect(try cluster.sagactl(["run", "--sagas", "20", "--concurrency", "4", "--prefix", "after"]).status == 0)
        #expect(try cluster.sagactl(["check"]).status == 0)
        #expect(try client.query(cluster.router("saga"), "saga.Stats")["total"] == 70)
    }

    /// A history far larger than what any process keeps in memory answers from SQLite: after a
    /// restart the orchestrator holds no saga, yet lists, counts and finds every one.
    @Test func aLargeHistoryIsQueriedFromTheReadSide() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock])
        defer { cluster.destroy() }
        try cluster.start()
        #expect(try cluster.sagactl(["run", "--sagas", "1500", "--concurrency", "64", "--prefix", "big"]).status == 0)
        cluster.kill("saga")
        try cluster.start("saga")
        try cluster.waitUntilUp()
        #expect(cluster.log("saga").contains("active=0"), "the orchestrator recovered sagas into memory")
        let client = try ClusterClient(timeoutMs: 10_000)
        let sagas = try client.all(cluster.router("saga"), "saga.ListSagas", key: "sagas")
        #expect(sagas.count == 1500)
        #expect(Set(sagas.compactMap { $0["saga_id"]?.stringValue }).count == 1500)
        #expect(try client.query(cluster.router("saga"), "saga.Stats")["total"] == 1500)
        let some = try #require(sagas.last?["saga_id"]?.stringValue)
        #expect(try client.query(cluster.router("saga"), "saga.GetSaga", ["saga_id": .string(some)])["timeline"]?.arrayValue?.isEmpty == false)
        let completed = try client.all(cluster.router("saga"), "saga.ListSagas", key: "sagas", ["status": "completed"])
        #expect(completed.allSatisfy { $0["status"] == "completed" } && !completed.isEmpty)
        #expect(try cluster.sagactl(["check"]).status == 0)
    }
}
