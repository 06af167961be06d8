import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport
import ZeroMQ

/// A cluster secured with CURVE keys: its own client works, an unknown key and a plaintext
/// client get nothing through and change nothing, rejections are logged and counted, and a
/// capture of the loopback traffic holds no id in clear.
@Suite(.serialized) struct SecurityTests {
    static let stock = ["--stock", "item1:100000,item2:100000,item3:100000"]
    static let processes = LocalCluster.names + ["monitor"]

    /// Whether `body` fails because nothing answered (not because it was refused: an outsider
    /// must not even learn the request's fate).
    func unanswered(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch ClientError.unreachable {
            return true
        } catch {
            return false
        }
    }

    @Test func aSecuredClusterServesItsOwnKeysAndNoOneElse() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock], monitor: true, secure: true)
        defer { cluster.destroy() }
        try cluster.start()  // waits for every process to answer the client's authorized ping

        let run = try cluster.sagactl(["run", "--sagas", "30", "--concurrency", "4", "--prefix", "sec"])
        #expect(run.status == 0, "sagactl run failed: \(run.stderr.suffix(5))")
        #expect(try cluster.sagactl(["check"]).status == 0)
        let client = try cluster.client()
        let e = cluster.endpoints
        #expect(try client.query(e.orchestrator, "saga.Stats")["total"] == 30)

        // An intruder with its own key pair, who even knows the servers' public keys.
        let keysDirectory = try #require(cluster.managed.keysDirectory)
        let intruderDirectory = cluster.directory.url.appendingPathComponent("intruder").path
        let intruderKeys = try CurveKeys.generate(name: "intruder", in: intruderDirectory, authorize: false)
        for name in Self.processes {
            try FileManager.default.copyItem(atPath: "\(keysDirectory)/\(name).pub", toPath: "\(intruderDirectory)/\(name).pub")
        }
        let intruder = try ClusterClient(timeoutMs: 700, keys: try CurveKeys.load(directory: intruderDirectory, name: "intruder"),
                                         serverNames: e.serverNames)
        let plaintext = try ClusterClient(timeoutMs: 700)
        let context: JSON = ["user_id": "mallory", "items": [["item_id": "item1", "quantity": 1, "price_cents": 100]]]
        for outsider in [intruder, plaintext] {
            #expect(unanswered { _ = try outsider.command(e.orchestrator, "saga.StartSaga", ["type": "order", "context": context]) })
            #expect(unanswered { _ = try outsider.command(e.routers["order"]!, "order.CreateOrder", [
                "order_id": "stolen", "user_id": "mallory", "items": context["items"]!]) })
            #expect(unanswered { _ = try outsider.command(e.orchestrator, "sys.SetFault", ["spec": "crash=before-commit"]) })
            for name in Self.processes {
                #expect(unanswered { _ = try outsider.query(e.routers[name]!, "sys.Ping") }, "\(name) answered an outsider")
            }
        }

        // A plaintext subscriber hears nothing while sagas run.
        let zmq = try ZMQContext()
        let subscriber = try ZMQSocket(zmq, .sub)
        try subscriber.subscribe("")
        try subscriber.connect(e.pubs["saga"]!)
        try subscriber.connect(e.pubs["order"]!)
        for index in 0..<5 {
            let reply = try client.command(e.orchestrator, "saga.StartSaga", [
                "type": "order", "saga_id": .string("sec-late-\(index)"), "wait": true,
                "context": ["user_id": "alice", "items": [["item_id": "item2", "quantity": 1, "price_cents": 250]]],
            ])
            #expect(reply.body["status"] == "completed" || reply.body["status"] == "compensated")
        }
        var poller = ZMQPoller()
        poller.add(subscriber)
        try poller.poll(timeout: 1000)
        #expect(!poller.isReadable(0), "a plaintext subscriber received events from a secured publisher")
        subscriber.close()

        // The outsiders changed nothing.
        #expect(try client.query(e.orchestrator, "saga.Stats")["total"] == 35)
        #expect(try client.query(e.routers["order"]!, "order.Stats")["total"] == 35)
        #expect(try cluster.sagactl(["check"]).status == 0)
        #expect(try cluster.sagactl(["ping"]).status == 0)

        // Refusals are logged (the unknown key by fingerprint) and counted.
        let sagaLog = cluster.log("saga")
        #expect(sagaLog.contains(CurveKeys.fingerprint(intruderKeys.publicKey)), "the intruder's key fingerprint is not in the log")
        #expect(sagaLog.contains("refused a connection without CURVE"))
        for name in ["saga", "order"] {
            let text = try client.query(e.routers[name]!, "sys.Metrics")["text"]?.stringValue ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("zsaga_auth_rejected_total") }
            let count = line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
            #expect(count >= 2, "\(name) counted \(count) rejections")
        }
        // sagactl without the keys says what is missing.
        let lonely = try ChildProcess(try Binaries.path("sagactl"), ["ping", "saga", "--timeout", "300"],
                                      environment: cluster.clientEnvironment.filter { $0.key != "ZSAGA_KEYS" })
        #expect(lonely.wait(seconds: 10) == 1)
        #expect(lonely.stdoutLines.joined().contains("ZSAGA_KEYS"))
    }

    /// Runs one marked saga through a cluster while tcpdump captures its loopback ports, and
    /// returns the captured bytes.
    func capture(secure: Bool, marker: String) throws -> Data {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock], monitor: true, secure: secure)
        defer { cluster.destroy() }
        let ports = Self.processes.flatMap { [cluster.managed.ports[$0]!.router, cluster.managed.ports[$0]!.pub] }
        let file = cluster.directory.url.appendingPathComponent("capture.pcap").path
        let filter = ports.map { "tcp port \($0)" }.joined(separator: " or ")
        let tcpdump = try ChildProcess(try #require(Capture.tcpdump), ["-i", "lo", "-n", "-U", "-s", "0", "-Z", "root", "-w", file, filter])
        defer { tcpdump.killAndWait() }
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: file) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.start()
        let client = try cluster.client(timeoutMs: 10_000)
        let reply = try client.command(cluster.endpoints.orchestrator, "saga.StartSaga", [
            "type": "order", "saga_id": .string("\(marker)-order"), "wait": true,
            "context": ["user_id": .string("\(marker)-user"), "items": [["item_id": "item1", "quantity": 2, "price_cents": 700]]],
        ])
        #expect(reply.body["status"] == "completed" || reply.body["status"] == "compensated")
        // Let the monitor follow the saga too, so its links are in the capture.
        let monitorDeadline = Date().addingTimeInterval(10)
        while Date() < monitorDeadline {
            let order = try? client.query(cluster.endpoints.monitor, "monitor.GetOrder", ["order_id": .string("\(marker)-order")])
            if order?["order"]?["saga_status"]?.stringValue.map({ ["completed", "compensated"].contains($0) }) == true { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        tcpdump.signal(SIGINT)
        _ = tcpdump.wait(seconds: 10)
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }

    @Test(.enabled(if: Capture.available, "tcpdump is missing or this is not root (./scripts/bootstrap.sh --test-tools installs it)"))
    func aCaptureOfTheTrafficHoldsNoIdInClearWhenSecured() throws {
        // The control: without CURVE the same capture shows the ids, so the capture works.
        let plain = try capture(secure: false, marker: "plainmark")
        #expect(plain.count > 10_000, "the capture is too small to mean anything: \(plain.count) bytes")
        #expect(plain.range(of: Data("plainmark-user".utf8)) != nil, "the control capture misses the user id")
        #expect(plain.range(of: Data("plainmark-order".utf8)) != nil, "the control capture misses the order id")

        let secured = try capture(secure: true, marker: "curvemark")
        #expect(secured.count > 10_000, "the capture is too small to mean anything: \(secured.count) bytes")
        for needle in ["curvemark", "StartSaga", "user_id", "item1"] {
            #expect(secured.range(of: Data(needle.utf8)) == nil, "\(needle) appears in clear on the secured cluster's wire")
        }
    }
}

/// Where tcpdump is, and whether it can capture here.
enum Capture {
    static let tcpdump: String? = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let available = tcpdump != nil && getuid() == 0
}
