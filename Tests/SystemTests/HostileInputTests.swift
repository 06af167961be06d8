import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport
import ZeroMQ

/// Bad input and overload against real processes: every hostile value is refused with a stable
/// code naming its field and nothing is written to any log; per-client rate limits answer
/// `overloaded`; runtime faults are forbidden unless allowed; and a fuzz run beside real sagas
/// leaves every process answering and every invariant intact.
@Suite(.serialized) struct HostileInputTests {
    static let stock = ["--stock", "item1:100000,item2:100000,item3:100000"]

    /// The log head of every process.
    func heads(_ cluster: LocalCluster, _ client: ClusterClient) throws -> [String: Int64] {
        var heads: [String: Int64] = [:]
        for name in LocalCluster.names { heads[name] = try client.query(cluster.router(name), "sys.Head")["head"]?.intValue }
        return heads
    }

    @Test func hostileValuesAreRefusedByFieldAndWriteNothing() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock, "shipping": ["--client-rate", "50"]])
        cluster.managed.allowFaults = false
        defer { cluster.destroy() }
        try cluster.start()
        let client = try cluster.client()
        let e = cluster.endpoints
        // The orchestrator learns the catalog from inventory shortly after it starts.
        Thread.sleep(forTimeInterval: 1)
        let before = try heads(cluster, client)

        func refusal(_ endpoint: String, _ type: String, _ bodyText: String) throws -> ErrorReply? {
            let zmq = try ZMQContext()
            let socket = try ZMQSocket(zmq, .dealer)
            try socket.connect(endpoint)
            let text = "{\"v\":1,\"kind\":\"command\",\"id\":\"hostile-\(UInt32.random(in: 0...UInt32.max))\",\"type\":\"\(type)\",\"body\":\(bodyText)}"
            try socket.send([Array(text.utf8)])
            var poller = ZMQPoller()
            poller.add(socket)
            try poller.poll(timeout: 5000)
            guard poller.isReadable(0), let frames = try socket.tryReceive(), let last = frames.last,
                  case .error(let error) = try WireCodec.decode(last) else { return nil }
            return error
        }
        func start(_ items: String, user: String = "\"u1\"") -> String {
            "{\"type\":\"order\",\"context\":{\"user_id\":\(user),\"items\":\(items)}}"
        }
        func line(quantity: String = "1", price: String = "100", item: String = "\"item1\"") -> String {
            "[{\"item_id\":\(item),\"quantity\":\(quantity),\"price_cents\":\(price)}]"
        }
        let quantityField = "body.context.items[0].quantity"
        let priceField = "body.context.items[0].price_cents"
        let cases: [(String, String, ErrorCode, String?)] = [
            ("saga.StartSaga", start(line(quantity: "0")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "-1")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "10001")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "1.5")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "1e30")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "9223372036854775808")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(quantity: "\"2\"")), .invalidArgument, quantityField),
            ("saga.StartSaga", start(line(price: "0")), .invalidArgument, priceField),
            ("saga.StartSaga", start(line(price: "-100")), .invalidArgument, priceField),
            ("saga.StartSaga", start(line(price: "100000001")), .invalidArgument, priceField),
            ("saga.StartSaga", start(line(price: "1e400")), .malformed, nil),  // not a finite number: not JSON we accept
            ("saga.StartSaga", start(line(item: "\"item9\"")), .invalidArgument, "body.context.items[0].item_id"),
            ("saga.StartSaga", start(line(item: "\"bad item\"")), .invalidArgument, "body.context.items[0].item_id"),
            ("saga.StartSaga", start(line(), user: "\"\(String(repeating: "u", count: 129))\""), .invalidArgument, "body.context.user_id"),
            ("saga.StartSaga", start("[" + (0...100).map { "{\"item_id\":\"i\($0)\",\"quantity\":1,\"price_cents\":1}" }.joined(separator: ",") + "]"),
             .invalidArgument, "body.context.items"),
            ("saga.StartSaga", start("[]"), .invalidArgument, "body.context.items"),
            ("saga.StartSaga", "{\"type\":\"loan\",\"context\":{}}", .unknownType, "body.type"),
            ("saga.StartSaga", "{\"type\":\"order\",\"context\":{\"user_id\":\"u1\",\"items\":\(line()),\"pad\":\"\(String(repeating: "x", count: 1 << 20))\"}}",
             .tooLarge, nil),
            ("payment.ChargePayment", "{\"order_id\":\"o1\",\"user_id\":\"u1\",\"amount_cents\":-5}", .invalidArgument, "body.amount_cents"),
            ("inventory.ReserveInventory", "{\"order_id\":\"o1\",\"items\":\(line(quantity: "0"))}", .invalidArgument, "body.items[0].quantity"),
            ("order.CreateOrder", "{\"order_id\":\"o1\",\"user_id\":\"u1\",\"items\":\(line(price: "0"))}", .invalidArgument, "body.items[0].price_cents"),
            ("sys.SetFault", "{\"spec\":\"crash=before-commit\"}", .forbidden, nil),
        ]
        for (type, body, code, field) in cases {
            let service = String(type.split(separator: ".")[0])
            let endpoint = type.hasPrefix("sys.") ? e.orchestrator : (service == "saga" ? e.orchestrator : e.routers[service]!)
            let error = try refusal(endpoint, type, body)
            #expect(error?.code == code, "\(type) \(body.prefix(120)): \(String(describing: error))")
            if let field { #expect(error?.field == field, "\(type) \(body.prefix(120)): field \(String(describing: error?.field))") }
            #expect(!(error?.message.isEmpty ?? true))
        }
        // Faults are forbidden at every process unless allowed.
        for name in LocalCluster.names {
            #expect(try refusal(cluster.router(name), "sys.SetFault", "{\"spec\":\"drop-reply=1\"}")?.code == .forbidden)
        }
        // Nothing was written to any log.
        #expect(try heads(cluster, client) == before)
        #expect(try client.query(e.orchestrator, "saga.Stats")["total"] == 0)

        // A client over its request rate is told `overloaded`; another client is not held back.
        let flooder = try cluster.client(timeoutMs: 2000)
        var overloaded = 0, answered = 0
        for _ in 0..<400 {
            do {
                _ = try flooder.query(e.routers["shipping"]!, "shipping.Stats")
                answered += 1
            } catch ClientError.refused(let error) where error.code == .overloaded {
                overloaded += 1
            }
        }
        #expect(overloaded > 200, "only \(overloaded) of 400 requests over a 50/s limit were refused")
        #expect(answered >= 50 && answered < 200, "\(answered) answered")
        #expect((try? cluster.client().query(e.routers["shipping"]!, "shipping.Stats")) != nil)
        Thread.sleep(forTimeInterval: 1.2)
        #expect((try? flooder.query(e.routers["shipping"]!, "shipping.Stats")) != nil, "the limit does not recover")
        #expect(try cluster.sagactl(["ping"]).status == 0)
    }

    @Test func aFuzzRunBesideRealSagasBreaksNothing() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock], monitor: true)
        cluster.managed.allowFaults = false
        defer { cluster.destroy() }
        try cluster.start()
        let sagactl = try Binaries.path("sagactl")
        let load = try ChildProcess(sagactl, ["run", "--sagas", "300", "--concurrency", "8", "--rate", "20", "--prefix", "real", "--json"],
                                    environment: cluster.clientEnvironment)
        let fuzz = try ChildProcess(sagactl, ["fuzz", "--duration", "20", "--seed", "42", "--json"], environment: cluster.clientEnvironment)
        let fuzzStatus = fuzz.wait(seconds: 120)
        #expect(fuzzStatus == 0, "fuzz: \(fuzz.stdoutLines.suffix(12).joined(separator: "\n"))")
        let report = try JSONParser.parse(try #require(fuzz.stdoutLines.last))
        let messages = try #require(report["messages"]?.intValue)
        #expect(messages > 10_000, "only \(messages) fuzz messages")
        #expect(report["unanswered"] == 0)
        #expect(report["accepted_hostile"]?.arrayValue?.isEmpty == true)
        #expect(report["silent_processes"]?.arrayValue?.isEmpty == true)
        for category in FuzzCategory.allCases {
            #expect((report["by_category"]?[category.rawValue]?.intValue ?? 0) > 0, "no \(category.rawValue) messages were sent")
        }
        print("fuzz: \(messages) messages, replies \(report["replies"].map { Formatting.line($0) } ?? "?")")

        let loadStatus = load.wait(seconds: 180)
        #expect(loadStatus == 0, "sagactl run: \(load.stderrLines.suffix(5))")
        let summary = try JSONParser.parse(try #require(load.stdoutLines.last))
        #expect((summary["completed"]?.intValue ?? 0) + (summary["compensated"]?.intValue ?? 0) == 300)
        for name in cluster.managed.processNames { #expect(cluster.isRunning(name), "\(name) died") }
        #expect(try cluster.sagactl(["ping"]).status == 0)
        #expect(try cluster.sagactl(["check"]).status == 0)
        // The fuzz started no saga and created no order of its own.
        let client = try cluster.client()
        #expect(try client.query(cluster.endpoints.orchestrator, "saga.Stats")["total"] == 300)
        #expect(try client.query(cluster.router("order"), "order.Stats")["total"] == 300)
    }

    @Test func slowAndVanishedClientsNeverBlockAProcess() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": Self.stock])
        defer { cluster.destroy() }
        try cluster.start()
        let e = cluster.endpoints
        // A client that floods the order service with requests and never reads an answer.
        let zmq = try ZMQContext()
        let slow = try ZMQSocket(zmq, .dealer)
        try slow.setReceiveHighWaterMark(10)
        try slow.setSendHighWaterMark(0)
        try slow.connect(e.routers["order"]!)
        let ping = WireCodec.encode(.query(Query(id: "slow", type: "sys.Ping")))
        var sent = 0
        for _ in 0..<80_000 where (try? slow.trySend([ping])) == true { sent += 1 }
        // Everyone else is still served, promptly, while the slow client's answers pile up.
        let client = try cluster.client(timeoutMs: 3000)
        for _ in 0..<100 { #expect((try? client.query(e.routers["order"]!, "sys.Ping")) != nil) }
        var dropped = 0.0
        let deadline = Date().addingTimeInterval(30)
        while dropped == 0 && Date() < deadline {
            let text = try client.query(e.routers["order"]!, "sys.Metrics")["text"]?.stringValue ?? ""
            dropped = text.split(separator: "\n").filter { $0.hasPrefix("zsaga_replies_dropped_total") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(sent > 50_000)
        #expect(dropped > 0, "no reply to the slow client was dropped: did the process wait for it?")

        // A client that starts a saga, asks to wait for it, and vanishes: the saga still ends.
        let vanishing = try ZMQSocket(zmq, .dealer, linger: 1000)
        try vanishing.connect(e.orchestrator)
        try vanishing.send([WireCodec.encode(.command(Command(id: "vanish-1", type: "saga.StartSaga", body: [
            "type": "order", "saga_id": "vanished", "wait": true,
            "context": ["user_id": "ghost", "items": [["item_id": "item1", "quantity": 1, "price_cents": 100]]],
        ])))])
        vanishing.close()
        slow.close()
        var status = ""
        let sagaDeadline = Date().addingTimeInterval(20)
        while !["completed", "compensated"].contains(status) && Date() < sagaDeadline {
            status = (try? client.query(e.orchestrator, "saga.GetSaga", ["saga_id": "vanished"]))?["saga"]?["status"]?.stringValue ?? ""
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Generous timeouts: suites run side by side on two cores; a blocked reactor never answers.
        let pinged = try cluster.sagactl(["ping", "--timeout", "15000"])
        let checked = try cluster.sagactl(["check", "--timeout", "15000"])
        // libzmq 4.3 (Debian's) can abort a server whose client resets the connection while a
        // reply to it is being written: the I/O thread handles the error and then the pending
        // write, and asserts (zeromq/libzmq#4841, "Assertion failed: !_io_error"). Nothing is lost
        // (the log is durable and a restart recovers), but the process is down until restarted.
        // That upstream abort, and only it, is a known issue here (docs/SECURITY.md).
        let abortedInLibzmq = LocalCluster.names.contains { cluster.log($0).contains("Assertion failed: !_io_error") }
        withKnownIssue("libzmq aborts on a reset during a write (zeromq/libzmq#4841)", isIntermittent: true) {
            // A service that aborted cannot answer the saga's step until it is restarted.
            #expect(["completed", "compensated"].contains(status), "the vanished client's saga is \(status)")
            #expect(pinged.status == 0, "\(pinged.stdout) \(pinged.stderr)")
            #expect(checked.status == 0, "\(checked.stdout.suffix(5)) \(checked.stderr.suffix(5))")
        } when: {
            abortedInLibzmq
        }
    }
}
