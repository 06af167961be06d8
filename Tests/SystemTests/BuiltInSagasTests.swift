import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// The order saga is a definitions file installed beside the binaries: the orchestrator reads
/// it at start, refuses to start without it (naming where it looked), and an order-context type
/// of a user's file that names no stock service still has its items checked, with a
/// deprecation warning.
@Suite(.serialized) struct BuiltInSagasTests {
    @Test func withoutTheBuiltInFileTheOrchestratorRefusesToStartAndSaysWhereItLooked() throws {
        let directory = try TempDirectory("no-builtins")
        defer { directory.remove() }
        // The executable alone, copied where no definitions are installed beside it.
        let copy = directory.file("saga-orchestrator")
        try FileManager.default.copyItem(atPath: try Binaries.path("saga-orchestrator"), toPath: copy)
        let ports = try FreePorts.take(2)
        let child = try ChildProcess(copy, ["--data-dir", directory.file("saga"), "--router", "tcp://127.0.0.1:\(ports[0])",
                                            "--pub", "tcp://127.0.0.1:\(ports[1])"])
        #expect(child.wait(seconds: 20) != 0)
        let errors = child.stderrLines.joined(separator: "\n")
        #expect(errors.contains("built-in saga definitions (order.json) are not installed"), "\(errors)")
        #expect(errors.contains(directory.file("ZSaga_BuiltInSagas.resources/order.json")), "\(errors)")

        // An order.json beside the executable serves.
        try FileManager.default.copyItem(atPath: Binaries.directory.appendingPathComponent("ZSaga_BuiltInSagas.resources/order.json").path,
                                         toPath: directory.file("order.json"))
        let second = try ChildProcess(copy, ["--data-dir", directory.file("saga"), "--router", "tcp://127.0.0.1:\(ports[0])",
                                             "--pub", "tcp://127.0.0.1:\(ports[1])"])
        defer { second.killAndWait() }
        let client = try ClusterClient(timeoutMs: 5000)
        var definitions: JSON?
        for _ in 0..<100 where definitions == nil {
            definitions = try? client.query("tcp://127.0.0.1:\(ports[0])", "saga.Definitions")
            if definitions == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        let order = definitions?["definitions"]?.arrayValue?.first { $0["type"] == "order" }
        // The fingerprint every logged order saga names: the file is the definition that was compiled in.
        #expect(order?["fingerprint"] == "864db96ab7ed2e5d")
    }

    @Test func anOrderTypeWithoutAStockServiceIsDeprecatedAndStillChecked() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100"]])
        defer { cluster.destroy() }
        try cluster.addDefinitions("""
            [{"type": "shop", "context": "order",
              "steps": [{"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder"}]},
             {"type": "kiosk", "context": "order", "stock_service": "inventory",
              "steps": [{"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder"}]}]
            """)
        try cluster.start()
        let log = cluster.log("saga")
        #expect(log.contains("saga type shop") && log.contains("no stock_service") && log.contains("deprecated"), "\(log)")
        #expect(!log.contains("saga type kiosk"))
        let client = try cluster.client()
        for type in ["shop", "kiosk"] {
            // Refused once the orchestrator has heard inventory's catalogue (it asks at start).
            var refusal: ErrorReply?
            for attempt in 0..<50 where refusal == nil {
                do {
                    _ = try client.command(cluster.endpoints.orchestrator, "saga.StartSaga", [
                        "type": .string(type), "saga_id": .string("\(type)-\(attempt)"),
                        "context": ["user_id": "u1", "items": [["item_id": "item9", "quantity": 1, "price_cents": 100]]],
                    ])
                    Thread.sleep(forTimeInterval: 0.1)
                } catch ClientError.refused(let error) {
                    refusal = error
                }
            }
            #expect(refusal?.code == .invalidArgument && refusal?.field == "body.context.items[0].item_id", "\(type): \(String(describing: refusal))")
        }
    }
}
