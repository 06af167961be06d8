import Foundation
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// `scripts/cluster.sh` takes its processes from the topology (`sagactl topology`): with a
/// topology file that moves every process to free ports and adds the test's fifth service, it
/// starts all seven, waits until each answers (the fifth too), and stops them.
@Suite(.serialized) struct ClusterScriptTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func clusterShStartsEveryProcessOfTheTopology() throws {
        let home = try TempDirectory("cluster-sh")
        defer { home.remove() }
        let ports = try FreePorts.take(14)
        var processes: [ProcessSpec] = []
        for (index, process) in (try Topology.builtIn.adding([ProcessSpec(name: "loyalty", role: .service, executable: "loyalty-service",
                                                                         ports: (1, 2))])).processes.enumerated() {
            processes.append(ProcessSpec(name: process.name, role: process.role, executable: process.executable,
                                         ports: (ports[2 * index], ports[2 * index + 1])))
        }
        let topologyFile = home.file("topology.json")
        try Data(JSONWriter.encode(try Topology(processes: processes).json)).write(to: URL(fileURLWithPath: topologyFile))
        let environment = ["ZSAGA_HOME": home.url.path, "ZSAGA_BIN_DIR": Binaries.directory.path, Topology.variable: topologyFile,
                           "ZSAGA_TRANSPORT": "tcp", "ZSAGA_HTTP": "off"]
        let script = Self.repository.appendingPathComponent("scripts/cluster.sh").path
        // cluster.sh leaves the processes running: it runs with every inherited descriptor closed
        // (Python's close_fds) and its output in files, or the daemons would hold our pipes.
        struct Run { var stdoutLines: [String]; var stderrLines: [String] }
        func run(_ action: String) throws -> Run {
            let out = home.file("\(action).out"), err = home.file("\(action).err")
            let child = try ChildProcess("/usr/bin/env", ["python3", "-c", """
                import subprocess, sys
                with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
                    sys.exit(subprocess.run(sys.argv[3:], stdout=out, stderr=err, stdin=subprocess.DEVNULL).returncode)
                """, out, err, script, action], environment: environment)
            #expect(child.wait(seconds: 120) != nil, "cluster.sh \(action) did not finish")
            func lines(_ path: String) -> [String] {
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            }
            return Run(stdoutLines: lines(out), stderrLines: lines(err))
        }
        let up = try run("up")
        defer { _ = try? run("down") }
        #expect(up.stdoutLines.contains { $0.hasPrefix("cluster up") }, "cluster.sh up: \(up.stdoutLines.suffix(5)) \(up.stderrLines.suffix(5))")
        #expect(up.stdoutLines.contains { $0.hasPrefix("loyalty\tup\ttcp://127.0.0.1:\(ports[10])") }, "\(up.stdoutLines)")
        let status = try run("status")
        #expect(status.stdoutLines.contains("loyalty-service: running, pid \(try String(contentsOfFile: home.file("pids/loyalty.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))"))
        let down = try run("down")
        #expect(down.stdoutLines.last == "cluster stopped")
        #expect(!FileManager.default.fileExists(atPath: home.file("pids/loyalty.pid")))
    }
}
