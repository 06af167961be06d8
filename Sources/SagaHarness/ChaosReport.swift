import Foundation
import ServiceKit
import LogCheck
import SagaClient
import SagaWire

/// Settings of a chaos run.
public struct ChaosOptions: Sendable {
    public var sagas = 1000
    /// Seconds of chaos: kills, pauses and faults happen during this window.
    public var duration = 60.0
    public var seed: UInt64 = 1
    /// Where the run's cluster keeps its data and logs (created fresh).
    public var directory: URL
    /// Sagas in flight at once.
    public var concurrency = 32
    /// Where the executables are.
    public var binDirectory: URL
    /// Seconds to wait, after the chaos, for every saga to settle.
    public var settleTimeout = 240.0
    /// The processes' retention window (`--retention`), e.g. `30s`; `nil` keeps their default.
    public var retention: String?
    /// The cluster's processes: the built-in ones, or a topology that adds participants. Chaos
    /// kills and pauses every process of it, and kills each added one at least once.
    public var topology: Topology = .builtIn
    /// A definitions file for the orchestrator (`--definitions`), e.g. an order saga with a
    /// step at an added participant; `nil` runs the built-in order saga.
    public var definitions: String?

    public init(directory: URL, binDirectory: URL) {
        self.directory = directory
        self.binDirectory = binDirectory
    }
}

/// What a chaos run did and found.
public struct ChaosReport: Sendable {
    public var sagas = 0
    public var completed = 0
    public var compensated = 0
    public var stuck = 0
    /// Sagas the client never saw settle.
    public var failed = 0
    public var kills = 0
    /// Processes that aborted at an injected crash point and were restarted.
    public var crashes = 0
    public var pauses = 0
    /// Fault specs switched on.
    public var faults = 0
    /// Injected crashes by crash point (`after-send-ahead`, …), as the processes announced them.
    public var crashesByPoint: [String: Int] = [:]
    /// Services frozen longer than a step's whole retry budget, and how many of those freezes
    /// came with an orchestrator restart.
    public var longFreezes = 0
    public var longFreezesWithRestart = 0
    /// How often each recovery path ran, from the orchestrator's log.
    public var paths = RecoveryPaths()
    /// Sagas retention retired during the run (the orchestrator's retired history).
    public var retiredSagas = 0
    public var violations: [Violation] = []
    public var durationSeconds = 0.0
    public var seed: UInt64 = 0
    public var killsByProcess: [String: Int] = [:]
    /// Restarts, by process, whose recovery projected events committed but not yet projected
    /// when the process died (a kill or crash before or during a projection batch).
    public var restartsProjecting: [String: Int] = [:]

    public var json: JSON {
        ["sagas": .int(Int64(sagas)), "completed": .int(Int64(completed)), "compensated": .int(Int64(compensated)),
         "stuck": .int(Int64(stuck)), "failed": .int(Int64(failed)), "kills": .int(Int64(kills)),
         "crashes": .int(Int64(crashes)), "pauses": .int(Int64(pauses)), "faults": .int(Int64(faults)),
         "kills_by_process": .object(killsByProcess.mapValues { .int(Int64($0)) }),
         "crashes_by_point": .object(crashesByPoint.mapValues { .int(Int64($0)) }),
         "long_freezes": .int(Int64(longFreezes)), "long_freezes_with_restart": .int(Int64(longFreezesWithRestart)),
         "paths": paths.json, "restarts_projecting": .object(restartsProjecting.mapValues { .int(Int64($0)) }),
         "retired_sagas": .int(Int64(retiredSagas)),
         "violations": .array(violations.map(\.json)), "duration_s": .double(durationSeconds), "seed": .int(Int64(bitPattern: seed))]
    }

    public var lines: [String] {
        func counts(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        let faultsLine: String = "kills \(kills) (\(counts(killsByProcess))), injected crashes \(crashes) (\(counts(crashesByPoint))), "
            + "pauses \(pauses), fault specs \(faults)"
        let pathsLine: String = "long freezes \(longFreezes) (\(longFreezesWithRestart) with an orchestrator restart); paths: "
            + "exhausted steps \(paths.exhausted), compensate_from \(paths.compensateFrom), "
            + "compensation retries \(paths.compensationRetries), step retries \(paths.stepRetries), rejected \(paths.rejected); "
            + "restarts that projected what the dead process had not (\(counts(restartsProjecting)))"
        var lines = [
            "sagas \(sagas): completed \(completed), compensated \(compensated), stuck \(stuck), failed \(failed)",
            faultsLine,
            pathsLine,
            String(format: "duration %.1f s, seed %llu", durationSeconds, seed),
        ]
        if violations.isEmpty {
            lines.append("violations: none")
        } else {
            lines.append("VIOLATIONS: \(violations.count)")
            for violation in violations.prefix(50) {
                lines.append("  [\(violation.check)] \(violation.sagaID.map { "saga \($0): " } ?? "")\(violation.detail)")
            }
        }
        return lines
    }
}
