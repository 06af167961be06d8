import ArgumentParser
import BuiltInSagas
import Foundation
import SagaSimulation
import SagaWire

/// `zsaga-sim`: the seeded simulation of the orchestrator engine over many seeds.
@main
struct ZSagaSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zsaga-sim",
        abstract: "Run the orchestrator engine among simulated participants under seeded faults, and check every run.",
        discussion: """
            Each seed is one deterministic run: delayed, reordered, dropped and duplicated messages, frozen \
            participants, engine kills and injected crashes at every crash point, then every invariant checked. \
            Exit status 1 when any run breaks one; the failing seed reproduces it exactly.
            """)

    @Option(help: "The first seed.") var firstSeed: UInt64 = 1
    @Option(help: "How many seeds.") var seeds: UInt64 = 1000
    @Option(help: "Sagas per run.") var sagas: Int = SimulationOptions(seed: 0).sagas
    @Flag(help: "Stop at the first run that breaks an invariant.") var stopAtViolation = false
    @Flag(help: "Print the report as one JSON object on the last line.") var json = false

    func validate() throws {
        guard seeds > 0, sagas > 0 else { throw ValidationError("--seeds and --sagas must be positive") }
        // The simulated order saga is the built-in one: say so clearly when it is not installed.
        do { _ = try BuiltInSagas.load() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        var total = SimulationReport()
        let started = Date()
        for seed in firstSeed..<(firstSeed + seeds) {
            var options = SimulationOptions(seed: seed)
            options.sagas = sagas
            let report = try Simulation(options: options).run()
            total.merge(report)
            if !report.violations.isEmpty {
                FileHandle.standardError.write(Data("seed \(seed): \(report.violations.count) violations\n".utf8))
                if stopAtViolation { break }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("runs \(total.runs), sagas \(total.sagas) (completed \(total.completed), compensated \(total.compensated)), "
              + String(format: "%.1f s, %.0f sagas/s", seconds, Double(total.sagas) / seconds))
        print("crashes: \(total.crashes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
              + "restarts \(total.restarts), long freezes \(total.longFreezes)")
        print("paths: \(total.paths.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        print(total.violations.isEmpty ? "violations: none" : "VIOLATIONS: \(total.violations.count)")
        for violation in total.violations.prefix(20) { print("  \(violation)") }
        if json {
            var object = total.json.objectValue ?? [:]
            object["seconds"] = .double(seconds)
            print(String(decoding: JSONWriter.encode(.object(object)), as: UTF8.self))
        }
        if !total.violations.isEmpty { throw ExitCode.failure }
    }
}
