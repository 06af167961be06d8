import Domain
import Foundation
import Logging
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport
import ZeroMQ

/// Lossless streams over a lossy PUB/SUB, and the monitor built on them.
@Suite(.serialized) struct StreamTests {
    /// A publisher at full speed with a send high-water mark of 1, so PUB really drops; the
    /// subscriber still gets every event exactly once, in order.
    @Test func aSubscriberSeesEveryEventOnceInOrderThoughPUBDrops() throws {
        let cluster = try LocalCluster(environment: ["ZSAGA_PUB_HWM": "1"])
        defer { cluster.destroy() }
        try cluster.start("inventory")
        let context = try ZMQContext()
        let streams = try StreamSubscriber(
            context: context, sources: [StreamSubscriber.Source(name: "inventory", router: cluster.router("inventory"), pub: cluster.pub("inventory"))],
            positions: ["inventory": 0], logger: Logger(label: "test"), receiveHighWaterMark: 1)
        // Flood: 4000 commands pipelined on one DEALER.
        let flood = try ZMQSocket(context, .dealer)
        try flood.setSendHighWaterMark(0)
        try flood.setReceiveHighWaterMark(0)
        try flood.connect(cluster.router("inventory"))
        Thread.sleep(forTimeInterval: 0.3)
        let total = 4000
        for index in 0..<total {
            try flood.send([WireCodec.encode(.command(Command(id: "flood-\(index)", type: "inventory.AddStock",
                                                              body: ["item_id": .string("item\(index % 7)"), "quantity": 1])))])
        }
        var poller = ZMQPoller()
        for socket in streams.sockets { poller.add(socket) }
        var seqs: [Int64] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            try poller.poll(timeout: 50)
            // A slow consumer: the subscriber's tiny queue overflows too.
            Thread.sleep(forTimeInterval: 0.002)
            seqs += try streams.drain(now: monotonicMs()).map(\.seq)
            if seqs.count >= total, streams.isCaughtUp { break }
        }
        let head = try ClusterClient().query(cluster.router("inventory"), "sys.Head")["head"]?.intValue ?? 0
        #expect(head == Int64(total) + 3)  // and the three items of the starting stock
        #expect(seqs == Array(1...head))
        // Loss really happened, and was repaired from the log.
        let status = streams.status(now: monotonicMs())["inventory"]
        #expect((status?["gaps"]?.intValue ?? 0) > 0 || (status?["replayed"]?.intValue ?? 0) > 0)
    }

    /// The monitor killed with SIGKILL (twice) and a publisher killed mid-stream: the monitor
    /// resumes where it stopped, without loss or duplicates, and its statistics equal what the
    /// checker computes from the services.
    @Test func theMonitorSurvivesKillsAndMatchesTheChecker() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:1000000,item2:1000000,item3:1000000"]],
                                       monitor: true)
        defer { cluster.destroy() }
        try cluster.start()
        let run = try ChildProcess(try Binaries.path("sagactl"), ["run", "--sagas", "600", "--concurrency", "8", "--prefix", "m"],
                                   environment: cluster.clientEnvironment)
        Thread.sleep(forTimeInterval: 1.0)
        cluster.kill("monitor")
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.start("monitor")
        Thread.sleep(forTimeInterval: 0.8)
        cluster.kill("payment")
        try cluster.start("payment")
        Thread.sleep(forTimeInterval: 0.5)
        cluster.kill("monitor")
        try cluster.start("monitor")
        #expect(run.wait(seconds: 300) == 0, "sagactl run: \(run.stderrLines.suffix(3))")

        let client = try ClusterClient(timeoutMs: 10_000)
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.isClean)
        // Wait until the monitor has every event every process has.
        var caughtUp = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !caughtUp {
            let streams = try client.query(cluster.router("monitor"), "sys.Ping")["streams"]
            caughtUp = try LocalCluster.names.allSatisfy { name in
                let head = try client.query(cluster.router(name), "sys.Head")["head"]?.intValue ?? -1
                return streams?[name]?["position"]?.intValue == head
            }
            if !caughtUp { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(caughtUp)
        let stats = try client.query(cluster.router("monitor"), "monitor.Stats")
        #expect(stats["sagas"]?.intValue == Int64(check.sagas))
        #expect(stats["completed"]?.intValue == Int64(check.byStatus["completed", default: 0]))
        #expect(stats["compensated"]?.intValue == Int64(check.byStatus["compensated", default: 0]))
        #expect(stats["running"] == 0 && stats["stuck"] == 0)
        #expect(stats["orders"] == check.figures["orders"])
        // The hour's analytics, read back from the read side at each restart, count every
        // settled saga once: none lost, none counted again by the replay.
        let hour = try client.query(cluster.router("monitor"), "monitor.Analytics", ["window": "1h"])["sagas"]
        #expect(hour?["completed"]?.intValue == Int64(check.byStatus["completed", default: 0]))
        #expect(hour?["compensated"]?.intValue == Int64(check.byStatus["compensated", default: 0]))
        // Each order's joined view agrees with the services.
        let order = try client.query(cluster.router("order"), "order.GetOrder", ["order_id": "m-17"])["order"]
        let view = try client.query(cluster.router("monitor"), "monitor.GetOrder", ["order_id": "m-17"])["order"]
        #expect(view?["order_status"] == order?["status"])
        #expect(view?["total_cents"] == order?["total_cents"])
        // The monitor's own log: gap-free; one copy of each source event (stream = source,
        // version = the source's sequence number).
        let exits = cluster.stop()
        #expect(exits.values.allSatisfy { $0.isClean }, "exit statuses \(exits); monitor log ends: \(cluster.log("monitor").suffix(1500))")
        let verify = try ChildProcess(try Binaries.path("zsaga-log"),
                                      ["verify", cluster.directory.file("data/monitor/monitor.sqlite")])
        #expect(verify.wait(seconds: 30) == 0, "\(verify.stdoutLines)")
    }

    /// Sagas with declined payments: three for one user within five minutes raise
    /// FraudSuspected for that user, and for no one else.
    @Test func fraudIsSuspectedForTheUserWithManyDeclines() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100000,item2:100000,item3:100000"],
                                                        "payment": ["--decline-rate", "0.3"]], monitor: true)
        defer { cluster.destroy() }
        try cluster.start()
        let policy = DeclinePolicy(rate: 0.3, seed: 0)
        // Order ids (= saga ids) that the seeded hash declines, and some it does not.
        let declining = (0..<500).map { "fraud-\($0)" }.filter { policy.declines($0) }
        let passing = (0..<500).map { "ok-\($0)" }.filter { !policy.declines($0) }
        var sagas: [(String, String)] = declining.prefix(4).map { ($0, "mallory") }
        for (index, user) in ["alice", "bob", "carol"].enumerated() {
            sagas.append((declining[4 + index * 2], user))          // two declines each: below the threshold
            sagas.append((declining[5 + index * 2], user))
            sagas.append((passing[index], user))
        }
        let client = try ClusterClient(timeoutMs: 30_000)
        for (saga, user) in sagas {
            _ = try client.command(cluster.router("saga"), "saga.StartSaga", [
                "type": "order", "saga_id": .string(saga), "wait": true,
                "context": ["user_id": .string(user), "items": [["item_id": "item1", "quantity": 1, "price_cents": 1500]]],
            ])
        }
        var fraud: [JSON] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let alerts = try cluster.sagactl(["alerts", "--name", "FraudSuspected", "--json"])
            fraud = (try JSONParser.parse(alerts.stdout.last ?? "{}"))["alerts"]?.arrayValue ?? []
            if !fraud.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(fraud.map { $0["group"]?.stringValue ?? "" } == ["mallory"])
        Thread.sleep(forTimeInterval: 0.5)
        let again = try JSONParser.parse(try cluster.sagactl(["alerts", "--name", "FraudSuspected", "--json"]).stdout.last ?? "{}")
        #expect(again["count"] == 1)
        let list = try cluster.sagactl(["alerts"])
        #expect(list.stdout.contains { $0.hasPrefix("FraudSuspected\tmallory") })
    }
}
