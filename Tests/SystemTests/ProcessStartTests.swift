import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

@Suite struct ProcessStartTests {
    @Test func aBadDefinitionsFileStopsTheOrchestratorWithTheFieldNamed() throws {
        let directory = try TempDirectory("definitions")
        defer { directory.remove() }
        let file = directory.file("bad.json")
        try #"[{"type": "transfer", "steps": [{"name": "debit", "service": "ledger", "action": "Debit", "retry": {"max_attempts": 0}}]}]"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let ports = try SagaHarness.FreePorts.take(2)
        let child = try ChildProcess(try Binaries.path("saga-orchestrator"), [
            "--definitions", file, "--data-dir", directory.file("saga"),
            "--router", "tcp://127.0.0.1:\(ports[0])", "--pub", "tcp://127.0.0.1:\(ports[1])",
        ])
        let status = child.wait(seconds: 20)
        #expect(status != nil && status != 0)
        #expect(child.stderrLines.joined(separator: "\n").contains("definitions[0].steps[0].retry.max_attempts"))

        // A type whose service has no endpoint is refused too.
        try #"[{"type": "transfer", "steps": [{"name": "debit", "service": "ledger", "action": "Debit"}]}]"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let second = try ChildProcess(try Binaries.path("saga-orchestrator"), [
            "--definitions", file, "--data-dir", directory.file("saga"),
            "--router", "tcp://127.0.0.1:\(ports[0])", "--pub", "tcp://127.0.0.1:\(ports[1])",
        ])
        #expect(second.wait(seconds: 20) == 1)
        #expect(second.stderrLines.joined(separator: "\n").contains("uses service ledger, which has no endpoint"))
    }

    @Test func eventsAreReadInOrderFromALogAndFollowedLive() throws {
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:1000,item2:1000,item3:1000"]])
        defer { cluster.destroy() }
        try cluster.start()
        #expect(try cluster.sagactl(["run", "--sagas", "5", "--concurrency", "1", "--prefix", "ev"]).status == 0)
        let events = try cluster.sagactl(["events", "payment", "--from", "2", "--limit", "3"])
        #expect(events.status == 0)
        let seqs = try events.stdout.map { try JSONParser.parse($0)["seq"]?.intValue }
        #expect(seqs == [2, 3, 4])

        // Follow: past events first, then new ones as they are committed, each once, in order.
        let follower = try ChildProcess(try Binaries.path("sagactl"), ["events", "order", "--follow"],
                                        environment: cluster.clientEnvironment)
        defer { follower.killAndWait() }
        #expect(follower.waitForLine(seconds: 10) { $0.contains("\"seq\":5") } != nil)
        #expect(try cluster.sagactl(["run", "--sagas", "5", "--concurrency", "2", "--prefix", "ev2"]).status == 0)
        let head = try JSONParser.parse(try #require(try cluster.sagactl(["query", "order", "sys.Head"]).stdout.last))["head"]?.intValue ?? 0
        #expect(follower.waitForLine(seconds: 10) { $0.contains("\"seq\":\(head),") } != nil)
        let followed = follower.stdoutLines.compactMap { try? JSONParser.parse($0)["seq"]?.intValue }
        #expect(followed == Array(1...head))
    }

    @Test func theMonitorStopsWithAClearErrorWhenItsDashboardPortIsTaken() throws {
        let directory = try TempDirectory("monitor-port")
        defer { directory.remove() }
        let ports = try SagaHarness.FreePorts.take(3)
        // Something else holds the dashboard's port.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(ports[2]).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(holder, 1) == 0)
        let monitor = try ChildProcess(try Binaries.path("saga-monitor"), [
            "--data-dir", directory.file("monitor"), "--router", "tcp://127.0.0.1:\(ports[0])", "--pub", "tcp://127.0.0.1:\(ports[1])",
            "--http", "127.0.0.1:\(ports[2])",
        ])
        let status = monitor.wait(seconds: 20)
        if status == nil { monitor.killAndWait() }
        #expect(status == 1, "the monitor did not stop (status \(String(describing: status)))")
        let output = (monitor.stdoutLines + monitor.stderrLines).joined(separator: "\n")
        #expect(output.contains("Address already in use") && output.contains("--http"))
    }

    /// The supervisor never runs two processes under one name: the first would be orphaned,
    /// beyond the reach of kill, stop and the cluster's cleanup.
    @Test func startingAProcessThatIsAlreadyRunningIsRefused() throws {
        let cluster = try LocalCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let first = try #require(cluster.managed.pid("payment"))
        #expect(throws: SupervisorError.self) { try cluster.start("payment") }
        #expect(cluster.managed.pid("payment") == first)
        cluster.kill("payment")
        try cluster.start("payment")
        let second = try #require(cluster.managed.pid("payment"))
        #expect(second != first)
        _ = cluster.stop()
        #expect(kill(second, 0) != 0 && kill(first, 0) != 0, "a payment-service outlived its cluster")
    }
}
