import Foundation
import SagaWire
import Testing
import TestSupport

/// `sagactl chaos` for about a minute: kills (the orchestrator's included), pauses longer than
/// the step timeouts and injected faults, then every invariant checked at the services.
@Suite struct ChaosTests {
    @Test func aMinuteOfChaosBreaksNoInvariant() throws {
        let directory = try TempDirectory("chaos")
        defer { directory.remove() }
        let chaos = try ChildProcess(try Binaries.path("sagactl"), [
            "chaos", "--sagas", "300", "--duration", "60", "--seed", "11", "--data-dir", directory.file("run"), "--json",
        ])
        let status = chaos.wait(seconds: 600)
        #expect(status != nil, "chaos did not finish in 10 minutes")
        let report = try JSONParser.parse(try #require(chaos.stdoutLines.last, "no report: \(chaos.stderrLines.suffix(5))"))
        #expect(report["violations"] == [], "\(chaos.stdoutLines.joined(separator: "\n"))")
        #expect(status == 0)
        #expect(report["sagas"] == 300)
        #expect((report["completed"]?.intValue ?? 0) + (report["compensated"]?.intValue ?? 0) == 300)
        #expect(report["kills"]?.intValue ?? 0 >= 10)
        #expect(report["kills_by_process"]?["saga"]?.intValue ?? 0 >= 1)
        #expect(report["pauses"]?.intValue ?? 0 >= 2)
        #expect(report["stuck"] == 0)
    }
}
