import Foundation
import SagaWire
import Testing
import TestSupport

/// `sagactl chaos` with an added participant in the order saga (its `award_points` step, from
/// `PythonParticipantTests.definitions`): kills (the participant's among them, SIGKILL), pauses,
/// freezes and injected faults, then every invariant checked, the participant's log and command
/// records included. Once with the Swift example (`Examples/LoyaltyService`), once with the
/// Python one.
@Suite(.serialized) struct ParticipantChaosTests {
    @Test func chaosWithTheSwiftExampleParticipantBreaksNoInvariant() throws {
        try Self.chaos(executable: try Binaries.path("loyalty-service"), seed: 7)
    }

    @Test(.enabled(if: PythonProcesses.available, "python3 with pyzmq is needed (./scripts/bootstrap.sh installs it)"))
    func chaosWithThePythonParticipantBreaksNoInvariant() throws {
        let bin = try PythonProcesses.binDirectory(scripts: ["loyalty-py": "examples/loyalty_service.py"])
        defer { bin.remove() }
        try Self.chaos(executable: bin.file("loyalty-py"), seed: 5)
    }

    static func chaos(executable: String, seed: Int) throws {
        let directory = try TempDirectory("chaos-participant")
        defer { directory.remove() }
        try """
            {"processes": [{"name": "loyalty", "executable": "\(executable)", "router_port": 7601, "pub_port": 7602}]}
            """.write(toFile: directory.file("topology.json"), atomically: true, encoding: .utf8)
        try PythonParticipantTests.definitions.write(toFile: directory.file("definitions.json"), atomically: true, encoding: .utf8)
        let run = try ChaosRun(["--sagas", "200", "--duration", "40", "--seed", "\(seed)", "--topology", directory.file("topology.json"),
                                "--definitions", directory.file("definitions.json"), "--data-dir", directory.file("run")], seconds: 600)
        let (status, report, text) = (run.status, run.report, run.text)
        #expect(status != nil, "chaos did not finish in 10 minutes")
        #expect(report["violations"] == [], "\(text)")
        #expect(status == 0)
        #expect((report["completed"]?.intValue ?? 0) + (report["compensated"]?.intValue ?? 0) == 200, "\(text)")
        #expect(report["kills_by_process"]?["loyalty"]?.intValue ?? 0 >= 1, "\(text)")
    }
}
