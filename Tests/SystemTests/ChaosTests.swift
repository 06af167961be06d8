import Foundation
import SagaWire
import Testing
import TestSupport

/// `sagactl chaos` for 90 seconds: kills (the orchestrator's included), pauses longer than the
/// step timeouts, freezes longer than a step's whole retry budget (some with an orchestrator
/// restart), injected faults and crashes, then every invariant checked at the services, and the
/// count of every recovery path the run reached.
@Suite struct ChaosTests {
    @Test func ninetySecondsOfChaosReachEveryRecoveryPathAndBreakNoInvariant() throws {
        let directory = try TempDirectory("chaos")
        defer { directory.remove() }
        let run = try ChaosRun(["--sagas", "600", "--duration", "90", "--seed", "11", "--data-dir", directory.file("run")], seconds: 900)
        let (status, report, text) = (run.status, run.report, run.text)
        #expect(status != nil, "chaos did not finish in 15 minutes")
        #expect(report["violations"] == [], "\(text)")
        #expect(status == 0)
        #expect(report["sagas"] == 600)
        #expect((report["completed"]?.intValue ?? 0) + (report["compensated"]?.intValue ?? 0) == 600)
        #expect(report["kills"]?.intValue ?? 0 >= 10)
        #expect(report["kills_by_process"]?["saga"]?.intValue ?? 0 >= 1)
        #expect(report["pauses"]?.intValue ?? 0 >= 2)
        #expect(report["stuck"] == 0)
        // Every recovery path ran at least once.
        #expect(report["crashes_by_point"]?["after-send-ahead"]?.intValue ?? 0 > 0, "\(text)")
        #expect(report["long_freezes_with_restart"]?.intValue ?? 0 > 0, "\(text)")
        for path in ["exhausted", "compensate_from", "compensation_retries", "step_retries"] {
            #expect(report["paths"]?[path]?.intValue ?? 0 > 0, "the path \(path) never ran: \(text)")
        }
        // Kills and crashes before or during a projection batch: restarts that projected what
        // the dead process had committed and not projected.
        let projecting = (report["restarts_projecting"]?.objectValue?.dictionary ?? [:]).values.compactMap(\.intValue).reduce(0, +)
        #expect(projecting > 0, "no restart had committed events to project: \(text)")
    }
}

/// Chaos with a short retention window: settled sagas are retired from every log while
/// processes are killed and faulted, and the check over what remains, with the retired
/// history's running totals, finds nothing wrong. The window (60 s) is longer than the longest
/// saga of a chaos run (a freeze past a step's budget, then its compensations): a saga must
/// settle within the window, or its commands are refused `expired`.
@Suite struct ChaosWithRetentionTests {
    @Test func chaosWithRetentionBreaksNoInvariant() throws {
        let directory = try TempDirectory("chaos-retention")
        defer { directory.remove() }
        let run = try ChaosRun(["--sagas", "300", "--duration", "100", "--seed", "23", "--retention", "60s",
                                "--data-dir", directory.file("run")], seconds: 600)
        let (status, report) = (run.status, run.report)
        #expect(status != nil, "chaos did not finish in 10 minutes")
        #expect(report["violations"] == [], "\(run.text)")
        #expect(status == 0)
        #expect((report["completed"]?.intValue ?? 0) + (report["compensated"]?.intValue ?? 0) == 300)
        #expect(report["kills"]?.intValue ?? 0 >= 5)
        #expect(report["retired_sagas"]?.intValue ?? 0 > 0, "retention retired nothing during the run")
    }
}
