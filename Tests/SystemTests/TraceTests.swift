import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// Traces across every process: with `OTEL_TRACES_EXPORTER=otlp`, the orchestrator, the four
/// services and a Python participant (the order saga with an `award_points` step) export their
/// spans over OTLP/HTTP to a receiver in the test (clients/python/tests/fixtures/otlp_receiver.py,
/// opentelemetry-proto). One saga's spans form one trace: the saga's span, a client span per
/// command, each participant's server span under it with its `commit`, all connected; a
/// `traceparent` on `StartSaga` makes the saga's span the client's child.
@Suite(.serialized, .enabled(if: Observability.exportsOTLP, "built without the package trait OTLP (swift build --build-tests --traits OTLP; scripts/test.sh does)"))
struct TraceTests {
    static let available: Bool = PythonProcesses.available && {
        guard let probe = try? ChildProcess("/usr/bin/env", ["python3", "-c", "import opentelemetry.sdk, opentelemetry.proto"]) else { return false }
        return probe.wait(seconds: 30) == 0
    }()

    @Test(.enabled(if: Self.available, "python3 with pyzmq, opentelemetry-sdk and opentelemetry-proto is needed (./scripts/bootstrap.sh)"))
    func oneSagasSpansFormOneTraceAcrossEveryProcess() throws {
        let bin = try PythonProcesses.binDirectory(scripts: ["loyalty-py": "examples/loyalty_service.py"])
        defer { bin.remove() }
        let spansFile = bin.file("spans.jsonl")
        let port = try FreePorts.take(1)[0]
        let receiver = try ChildProcess("/usr/bin/env", [
            "python3", PythonProcesses.repository.appendingPathComponent("clients/python/tests/fixtures/otlp_receiver.py").path,
            "--port", "\(port)", "--out", spansFile,
        ])
        defer { receiver.killAndWait() }
        let environment = ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)",
                           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "200"]
        let loyalty = ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-py", ports: (1, 2))
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:1000,item2:1000,item3:1000"]],
                                       environment: environment, topology: try Topology.builtIn.adding([loyalty]), binDirectory: bin.url)
        defer { cluster.destroy() }
        try cluster.addDefinitions(PythonParticipantTests.definitions)
        try cluster.start()
        let client = try cluster.client(timeoutMs: 20_000)

        // One saga with the client's trace context, one without.
        let clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736", clientSpan = "00f067aa0ba902b7"
        let context: JSON = ["user_id": "u1", "items": [["item_id": "item1", "quantity": 1, "price_cents": 1500]]]
        let start = Command(id: "start-traced", type: "saga.StartSaga",
                            body: ["type": "order", "saga_id": "traced", "context": context, "wait": true],
                            traceParent: TraceParent("00-\(clientTrace)-\(clientSpan)-01"))
        let answer = try client.request(cluster.router("saga"), .command(start), id: start.id)
        guard case .reply(let reply) = answer else { Issue.record("StartSaga: \(answer)"); return }
        #expect(reply.body["status"] == "completed", "\(reply)")
        let second = try client.command(cluster.router("saga"), "saga.StartSaga",
                                        ["type": "order", "saga_id": "untraced-parent", "context": context, "wait": true])
        #expect(second.body["status"] == "completed")
        // A graceful stop flushes every exporter.
        let exits = cluster.stop()
        #expect(exits.values.allSatisfy { $0.isClean }, "\(exits)")

        var spans: [JSON] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            let text = (try? String(contentsOfFile: spansFile, encoding: .utf8)) ?? ""
            spans = try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
            if Set(spans.compactMap { $0["service"]?.stringValue }).count >= 6 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline

        for (saga, parent) in [("traced", Optional(clientSpan)), ("untraced-parent", nil)] {
            let root = try #require(spans.first { $0["name"] == "saga order" && $0["attributes"]?["zsaga.saga_id"]?.stringValue == saga },
                                    "no saga span for \(saga) among \(spans.count) spans")
            let trace = try #require(root["trace_id"]?.stringValue)
            if let parent {
                #expect(trace == clientTrace && root["parent_span_id"]?.stringValue == parent, "the client's context: \(root)")
            } else {
                #expect(root["parent_span_id"] == "", "a saga without a client context is a root: \(root)")
            }
            let inTrace = spans.filter { $0["trace_id"]?.stringValue == trace }
            let services = Set(inTrace.compactMap { $0["service"]?.stringValue })
            #expect(services == ["saga", "order", "inventory", "loyalty", "payment", "shipping"], "\(saga): \(services.sorted())")
            // Connected: every span's parent is in the trace, but the saga's own (the client's).
            let ids = Set(inTrace.compactMap { $0["span_id"]?.stringValue })
            for span in inTrace where span["span_id"] != root["span_id"] {
                #expect(ids.contains(span["parent_span_id"]?.stringValue ?? ""), "\(saga): a span outside the tree: \(span)")
            }
            // Every command of the saga has a client span, answered by its participant's server span with a commit.
            let commands = inTrace.filter { $0["service"] == "saga" && $0["kind"] == 3 }
            #expect(commands.count >= 7, "\(saga): \(commands.map { $0["name"] ?? .null })")
            for command in commands {
                let server = inTrace.filter { $0["parent_span_id"] == command["span_id"] && $0["kind"] == 2 }
                #expect(!server.isEmpty, "\(saga): no participant span for \(command)")
                for span in server {
                    #expect(inTrace.contains { $0["parent_span_id"] == span["span_id"] && $0["name"] == "commit" }, "no commit under \(span)")
                }
            }
        }
    }
}
