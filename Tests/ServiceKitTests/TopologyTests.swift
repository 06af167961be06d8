import ArgumentParser
import Foundation
import SagaWire
import ServiceKit
import Testing

@Suite struct TopologyTests {
    @Test func theBuiltInTopologyIsTheOrchestratorFourServicesAndTheMonitor() {
        let topology = Topology.builtIn
        #expect(topology.names == ["saga", "order", "inventory", "payment", "shipping", "monitor"])
        #expect(topology.services.map(\.name) == ["order", "inventory", "payment", "shipping"])
        #expect(topology.orchestrator.executable == "saga-orchestrator" && topology.monitor?.executable == "saga-monitor")
        #expect(topology.process("order")?.router == "tcp://127.0.0.1:7101" && topology.process("order")?.pub == "tcp://127.0.0.1:7102")
        #expect(topology.keyNames.last == CurveKeys.clientName)
        #expect(topology.process("order")?.routerVariable == "ZSAGA_ORDER_ROUTER")
    }

    @Test func aFileAddsAServiceOrReplacesTheWholeTopology() throws {
        let added = try Topology.parse(Array("""
            {"processes": [{"name": "loyalty", "router_port": 7601, "pub_port": 7602},
                           {"name": "order", "executable": "my-orders", "router": "tcp://orders:7101", "pub": "tcp://orders:7102"}]}
            """.utf8))
        #expect(added.names == ["saga", "order", "inventory", "payment", "shipping", "loyalty", "monitor"])
        #expect(added.process("loyalty") == ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-service", ports: (7601, 7602)))
        #expect(added.process("order")?.executable == "my-orders" && added.process("order")?.router == "tcp://orders:7101")
        let replaced = try Topology.parse(Array("""
            {"replace": true, "processes": [{"name": "hub", "role": "orchestrator", "router_port": 9001, "pub_port": 9002},
                                            {"name": "a", "router_port": 9101, "pub_port": 9102}]}
            """.utf8))
        #expect(replaced.names == ["hub", "a"] && replaced.monitor == nil && replaced.orchestrator.executable == "saga-orchestrator")
        // What `sagactl topology --json` prints reads back as the same topology.
        #expect(try Topology.parse(Array(String(decoding: JSONWriter.encode(added.json), as: UTF8.self).utf8)) == added)
    }

    @Test func aBadTopologyIsRefusedWithTheFieldAndTheReason() {
        func refusal(_ text: String) -> TopologyError? {
            do { _ = try Topology.parse(Array(text.utf8)); return nil } catch { return error }
        }
        #expect(refusal("{") .map { if case .notJSON = $0 { true } else { false } } == true)
        #expect(refusal(#"{"processes": [{"name": "Loyalty", "router_port": 1, "pub_port": 2}]}"#)
                == .invalid(field: "processes[0].name", "1-32 lowercase letters, digits and -, starting with a letter"))
        #expect(refusal(#"{"processes": [{"name": "x", "role": "boss", "router_port": 1, "pub_port": 2}]}"#)?.description
                    .contains("processes[0].role") == true)
        #expect(refusal(#"{"processes": [{"name": "x", "router_port": 7101, "pub_port": 2}]}"#)?.description
                    .contains("tcp://127.0.0.1:7101 is order's too") == true)
        #expect(refusal(#"{"processes": [{"name": "x"}]}"#)?.description.contains("processes[0].router_port") == true)
        #expect(refusal(#"{"replace": true, "processes": [{"name": "x", "router_port": 1, "pub_port": 2}]}"#)?.description
                    .contains("one orchestrator") == true)
        #expect(refusal(#"{"processes": [{"name": "client", "router_port": 1, "pub_port": 2}]}"#)?.description
                    .contains("clients' key") == true)
        #expect(throws: TopologyError.unreadable(path: "/nonexistent/topology.json")) { try Topology.load(file: "/nonexistent/topology.json") }
    }

    @Test func servicesGivenOnTheCommandLineOverrideOrAdd() throws {
        #expect(PeerEndpoints(argument: "loyalty=tcp://a:1,tcp://a:2") == PeerEndpoints(name: "loyalty", router: "tcp://a:1", pub: "tcp://a:2"))
        #expect(PeerEndpoints(argument: "loyalty=tcp://a:1") == nil && PeerEndpoints(argument: "Bad=tcp://a:1,tcp://a:2") == nil)
        let options = try PeerOptions.parse(["--service", "loyalty=tcp://a:1,tcp://a:2", "--service", "order=tcp://b:1,tcp://b:2"])
        let topology = try options.resolve(.builtIn)
        #expect(topology.process("loyalty")?.role == .service && topology.process("loyalty")?.executable == "loyalty-service")
        #expect(topology.process("order")?.router == "tcp://b:1" && topology.services.count == 5)
    }
}
