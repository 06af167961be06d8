import Foundation
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// Whether this machine lets us create network namespaces (root, iproute2).
enum NetworkNamespaces {
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else { return false }
        let name = "zsprobe\(getpid() % 10000)"
        guard let add = try? ChildProcess("/usr/bin/env", ["ip", "netns", "add", name]), add.wait(seconds: 10) == 0 else { return false }
        _ = try? ChildProcess("/usr/bin/env", ["ip", "netns", "del", name]).wait(seconds: 10)
        return true
    }()
}

/// An executable on the PATH.
func onPath(_ name: String) -> String? {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite(.serialized) struct ComposeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var composeFile: String { repository.appendingPathComponent("compose/docker-compose.yml").path }

    @Test func theComposeFileValidatesAgainstTheComposeSchema() throws {
        let schema = Self.repository.appendingPathComponent("../shared/schemas/compose-spec.json").standardized.path
        try #require(FileManager.default.fileExists(atPath: schema), "the Compose schema is not at \(schema)")
        let check = try ChildProcess("/usr/bin/env", ["python3", "-c", """
            import json, sys, yaml, jsonschema
            doc = yaml.safe_load(open(sys.argv[1]))
            jsonschema.validate(doc, json.load(open(sys.argv[2])))
            print(json.dumps(sorted(doc["services"])))
            """, Self.composeFile, schema])
        #expect(check.wait(seconds: 60) == 0, "schema validation failed: \(check.stderrLines.suffix(8))")
        let services = try JSONParser.parse(try #require(check.stdoutLines.last))
        #expect(services == ["faults", "inventory", "load", "monitor", "orchestrator", "order", "payment", "shipping"])
    }

    /// The compose file runs the topology: each of its processes by its executable, its ROUTER
    /// bound on the topology's port (the file is written by hand, so this test is its check).
    @Test func theComposeFileRunsTheBuiltInTopology() throws {
        let check = try ChildProcess("/usr/bin/env", ["python3", "-c", """
            import json, sys, yaml
            doc = yaml.safe_load(open(sys.argv[1]))
            print(json.dumps({name: [spec["command"][0], str((spec.get("environment") or {}).get("ZSAGA_ROUTER", ""))]
                              for name, spec in doc["services"].items()}))
            """, Self.composeFile])
        #expect(check.wait(seconds: 60) == 0, "reading the compose file failed: \(check.stderrLines.suffix(8))")
        let services = try JSONParser.parse(try #require(check.stdoutLines.last)).objectValue?.dictionary ?? [:]
        for process in Topology.builtIn.processes {
            let port = try #require(ProcessSpec.port(of: process.router))
            let runs = services.values.contains { $0.arrayValue?.first?.stringValue == process.executable
                && $0.arrayValue?.last?.stringValue?.hasSuffix(":\(port)") == true }
            #expect(runs, "no compose service runs \(process.executable) with its ROUTER on port \(port)")
        }
    }

    /// `docker stack deploy` reads the same file (its loader refuses what swarm cannot run).
    @Test(.enabled(if: onPath("docker") != nil, "no docker CLI to check swarm's reading"))
    func swarmsLoaderAcceptsTheComposeFileUnchanged() throws {
        let config = try ChildProcess(onPath("docker")!, ["stack", "config", "-c", Self.composeFile],
                                      environment: ["ZSAGA_CLUSTER_SECRET": "stack-config-test-secret-0123456789"])
        #expect(config.wait(seconds: 60) == 0, "docker stack config: \(config.stderrLines)")
        #expect(config.stdoutLines.contains { $0.hasPrefix("  orchestrator:") })
        // Secured by default: without the cluster secret the file does not load.
        let unsecured = try ChildProcess(onPath("docker")!, ["stack", "config", "-c", Self.composeFile])
        #expect(unsecured.wait(seconds: 60) != 0)
        #expect(unsecured.stderrLines.joined().contains("ZSAGA_CLUSTER_SECRET"))
    }

    /// The compose topology on separate hosts (network namespaces): 500 sagas while the payment
    /// host, then the orchestrator host, are cut off for longer than a step timeout.
    @Test(.enabled(if: NetworkNamespaces.available, "network namespaces cannot be created here (needs root and iproute2)"))
    func partitionsOfSeparateHostsLoseNoSaga() throws {
        let home = try TempDirectory("hosts")
        defer { home.remove() }
        let prefix = "zt\(getpid() % 10000)"
        let secret = "hosts-test-\(UInt64.random(in: 0...UInt64.max))-secret"
        let environment = ["ZSAGA_BIN_DIR": Binaries.directory.path, "ZSAGA_HOSTS_HOME": home.path, "ZSAGA_HOSTS_PREFIX": prefix,
                           "ZSAGA_CLUSTER_SECRET": secret]
        let script = Self.repository.appendingPathComponent("scripts/hosts.py").path
        func hosts(_ arguments: [String], timeout: Double = 120) throws -> ChildProcess {
            let child = try ChildProcess("/usr/bin/env", ["python3", script] + arguments, environment: environment)
            _ = child.wait(seconds: timeout)
            return child
        }
        let up = try hosts(["up"])
        defer { _ = try? hosts(["down"]) }
        try #require(up.wait(seconds: 1) == 0, "hosts up failed: \(up.stderrLines.suffix(5))")
        #expect(up.stdoutLines.contains { $0.hasPrefix("payment\t10.231.0.") })
        // The compose cluster is secured: a client without the cluster secret gets no answer.
        var outsider = environment
        outsider["ZSAGA_CLUSTER_SECRET"] = nil
        let plain = try ChildProcess("/usr/bin/env", ["python3", script, "exec", "--", "sagactl", "ping", "saga", "--timeout", "1000"],
                                     environment: outsider)
        #expect(plain.wait(seconds: 30) == 1, "a client without the secret was answered: \(plain.stdoutLines)")

        let run = try ChildProcess("/usr/bin/env", ["python3", script, "exec", "--", "sagactl", "run", "--sagas", "500",
                                                    "--concurrency", "16", "--rate", "30", "--prefix", "part", "--json"],
                                   environment: environment)
        Thread.sleep(forTimeInterval: 2)
        #expect(try hosts(["partition", "payment"]).wait(seconds: 1) == 0)
        let cut = try hosts(["status"]).stdoutLines
        #expect(cut.contains { $0.hasPrefix("payment") && $0.hasSuffix("link down") })
        Thread.sleep(forTimeInterval: 5)     // longer than the 3 s step timeout
        #expect(try hosts(["heal"]).wait(seconds: 1) == 0)
        Thread.sleep(forTimeInterval: 2)
        #expect(try hosts(["partition", "orchestrator"]).wait(seconds: 1) == 0)
        Thread.sleep(forTimeInterval: 5)
        #expect(try hosts(["heal"]).wait(seconds: 1) == 0)

        #expect(run.wait(seconds: 300) == 0, "sagactl run: \(run.stderrLines.suffix(5))")
        let summary = try JSONParser.parse(try #require(run.stdoutLines.last))
        #expect(summary["sagas"] == 500)
        #expect((summary["completed"]?.intValue ?? 0) + (summary["compensated"]?.intValue ?? 0) == 500)
        let check = try hosts(["exec", "--", "sagactl", "check", "--json"])
        #expect(check.wait(seconds: 1) == 0, "check: \(check.stdoutLines.suffix(10))")
        let report = try JSONParser.parse(try #require(check.stdoutLines.last))
        #expect(report["violations"] == [])
        #expect(report["sagas"] == 500 && report["stuck"] == 0 && report["running"] == 0)
    }
}
